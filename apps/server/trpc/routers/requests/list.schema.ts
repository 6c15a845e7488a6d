import { z } from 'zod';

export const ZListRequestsInput = z
  .object({
    endpointId: z.uuid().optional(),
    status: z.number().int().min(100).max(599).optional(),
    code: z.string().min(1).max(64).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .default({ limit: 50 });
export type ListRequestsInput = z.infer<typeof ZListRequestsInput>;
