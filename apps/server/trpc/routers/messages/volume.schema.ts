import { z } from 'zod';
import { messageFilterShape, withValidRanges } from './search.schema';

/** Bucket widths, and the window shown when the filter sets no range on the charted date. */
export const VOLUME_BUCKETS = {
  hour: { seconds: 3600, defaultSpanMs: 48 * 3_600_000 },
  day: { seconds: 86_400, defaultSpanMs: 30 * 86_400_000 },
} as const;
/** A chart wider than this many buckets is refused: ask for day buckets, or a narrower range. */
export const VOLUME_MAX_BUCKETS = 1000;

/** messages.search's filter (the same schema), plus the bucket width and which date is charted. */
export const ZMessageVolumeInput = withValidRanges(
  z.object({
    ...messageFilterShape,
    bucket: z.enum(['hour', 'day']).default('day'),
    /** received: when the archive got it; occurred: the payload's occurred_at (as search sorts). */
    by: z.enum(['received', 'occurred']).default('received'),
  }),
);
export type MessageVolumeInput = z.output<typeof ZMessageVolumeInput>;
