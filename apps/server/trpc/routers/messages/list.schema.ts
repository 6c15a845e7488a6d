import { z } from 'zod';

export const ZListMessagesInput = z
  .object({
    endpointId: z.uuid().optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .default({ limit: 50 });
export type ListMessagesInput = z.infer<typeof ZListMessagesInput>;
