import { z } from 'zod';

export const ZListAuditInput = z
  .object({
    /** e.g. `admin_key:<id>` or `user:<subject>`. */
    actor: z.string().min(1).max(500).optional(),
    action: z.string().min(1).max(100).optional(),
    messageId: z.uuid().optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'invalid cursor')
      .optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .default({ limit: 50 });
export type ListAuditInput = z.infer<typeof ZListAuditInput>;
