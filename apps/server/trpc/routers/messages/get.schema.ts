import { z } from 'zod';

export const ZMessageIdInput = z.object({ id: z.uuid() });
export type MessageIdInput = z.infer<typeof ZMessageIdInput>;
