import { z } from 'zod';

export const EXPORT_FORMATS = ['rsmf', 'eml', 'jsonl'] as const;

/** Half-open window on received_at (when the archive acknowledged the message): from <= t < to. */
export const ZCreateExportInput = z
  .object({
    endpointId: z.uuid().optional(),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    q: z.string().trim().min(1).max(1000).optional(),
    formats: z
      .array(z.enum(EXPORT_FORMATS))
      .min(1)
      .max(3)
      .default([...EXPORT_FORMATS]),
  })
  .refine((i) => Date.parse(i.from) <= Date.parse(i.to), {
    message: 'from must not be after to',
    path: ['from'],
  });
export type CreateExportInput = z.output<typeof ZCreateExportInput>;

export const ZExportIdInput = z.object({ id: z.uuid() });
export type ExportIdInput = z.output<typeof ZExportIdInput>;

export const ZListExportsInput = z.object({ limit: z.number().int().min(1).max(200).default(50) }).optional();
export type ListExportsInput = z.output<typeof ZListExportsInput>;
