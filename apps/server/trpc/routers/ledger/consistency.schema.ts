import { z } from 'zod';

export const ZConsistencyInput = z
  .object({ from: z.number().int().min(1), to: z.number().int().min(1) })
  .refine((v) => v.from <= v.to, { message: 'from must not exceed to', path: ['from'] });
export type ConsistencyInput = z.infer<typeof ZConsistencyInput>;
