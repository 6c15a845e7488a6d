import { z } from 'zod';

export const RECONCILE_MAX_ITEMS = 10_000;

export const ZReconcileInput = z
  .object({
    endpointId: z.uuid(),
    items: z
      .array(
        z.object({
          external_id: z.string().min(1).max(512),
          sha256: z
            .string()
            .regex(/^[0-9a-fA-F]{64}$/, 'a hex SHA-256 of the exact bytes sent')
            .transform((s) => s.toLowerCase())
            .optional(),
        }),
      )
      .max(RECONCILE_MAX_ITEMS),
    // With a window, archived messages received in it but absent from items are `unexpected`.
    receivedFrom: z.iso.datetime({ offset: true }).optional(),
    receivedTo: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((v) => (v.receivedFrom === undefined) === (v.receivedTo === undefined), {
    message: 'give both receivedFrom and receivedTo, or neither',
    path: ['receivedTo'],
  });
export type ReconcileInput = z.infer<typeof ZReconcileInput>;
