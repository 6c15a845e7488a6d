import { z } from 'zod';

export const ZMessageCountsInput = z.object({ endpointId: z.uuid().optional() }).default({});
export type MessageCountsInput = z.infer<typeof ZMessageCountsInput>;
