import { z } from 'zod';

export const ZVerifyMessageInput = z.object({ id: z.uuid() });
export type VerifyMessageInput = z.infer<typeof ZVerifyMessageInput>;
