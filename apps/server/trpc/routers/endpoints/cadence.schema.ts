import { z } from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** '90m', '6h', '2d' → seconds; at least a minute, at most a year. */
export const ZSilenceDuration = z
  .string()
  .regex(/^[1-9][0-9]{0,5}[smhd]$/, "a duration like '30m', '6h' or '2d'")
  .transform((s) => Number(s.slice(0, -1)) * UNIT_SECONDS[s.at(-1) as keyof typeof UNIT_SECONDS])
  .pipe(
    z
      .number()
      .int()
      .min(60, 'at least 1 minute')
      .max(366 * 86_400, 'at most a year'),
  );

export const ZSetCadenceInput = z.object({
  id: z.uuid(),
  /** null: no expectation (never flagged). */
  expectSilenceAtMost: ZSilenceDuration.nullable(),
});
export type SetCadenceInput = z.infer<typeof ZSetCadenceInput>;
