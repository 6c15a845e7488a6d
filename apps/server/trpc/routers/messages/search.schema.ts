import { z } from 'zod';
import { messageStatusEnum } from '../../../../../db/schema';
import { escapeJson, escapeText } from '../../../../../db/storable-text';

export const SEARCH_MAX_LIMIT = 200;
/** occurred_*: by occurred_at (received_at for a payload that never parsed); received_*: by received_at. */
export const SEARCH_SORTS = ['occurred_desc', 'occurred_asc', 'received_desc', 'received_asc'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];
export const EXTRA_FILTER_MAX_BYTES = 4096;
export const EXTRA_FILTER_MAX_DEPTH = 8;

// Messages store what PostgreSQL can't hold (NUL, unpaired surrogates) in the lossless form of
// db/storable-text.ts; search terms are put in the same form, so they find those messages.
const storableText = (max: number) => z.string().max(max).transform(escapeText);

const isoDate = z.iso.datetime({ offset: true });

/** True if nesting stays within `depth`. */
function nestsWithin(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth === 0) return false;
  return Object.values(value).every((v) => nestsWithin(v, depth - 1));
}

/**
 * Extra-field equality as JSONB containment: `{"ticket": {"priority": "high"}}` matches every
 * message whose extra fields contain that (arrays match by containment: `{"tags": ["a"]}`
 * matches tags that include "a").
 */
export const ZExtraFilter = z
  .record(z.string().min(1).max(256), z.json())
  .refine((v) => Buffer.byteLength(JSON.stringify(v)) <= EXTRA_FILTER_MAX_BYTES, {
    message: `must be at most ${EXTRA_FILTER_MAX_BYTES} bytes of JSON`,
  })
  .refine((v) => nestsWithin(v, EXTRA_FILTER_MAX_DEPTH), {
    message: `must nest at most ${EXTRA_FILTER_MAX_DEPTH} levels`,
  })
  .transform((v) => escapeJson(v) as Record<string, z.core.util.JSONType>);

/**
 * Which messages: the filter of messages.search, shared by messages.volume (and any future view
 * of "the current filter"), so the two can never disagree on what a filter means.
 */
export const messageFilterShape = {
  /** Web-search syntax: words (AND), "quoted phrases", `or`, `-word`. Language-neutral. */
  q: storableText(1000).optional(),
  endpointId: z.uuid().optional(),
  /** An identifier of the sender or a recipient (exact, case-insensitive). */
  participant: z.string().max(2048).trim().min(1).transform(escapeText).optional(),
  /** Ranges are half-open: from <= t < to. */
  occurredFrom: isoDate.optional(),
  occurredTo: isoDate.optional(),
  receivedFrom: isoDate.optional(),
  receivedTo: isoDate.optional(),
  status: z.array(z.enum(messageStatusEnum.enumValues)).min(1).max(4).optional(),
  hasAttachments: z.boolean().optional(),
  extra: ZExtraFilter.optional(),
};

type Ranges = Partial<Record<'occurredFrom' | 'occurredTo' | 'receivedFrom' | 'receivedTo', string>>;

/** A filter's ranges must not be inverted; added to every schema built on the filter. */
export function withValidRanges<S extends z.ZodType<Ranges>>(schema: S): S {
  return schema
    .refine(
      (i) => !(i.occurredFrom && i.occurredTo) || Date.parse(i.occurredFrom) <= Date.parse(i.occurredTo),
      { message: 'occurredFrom must not be after occurredTo', path: ['occurredFrom'] },
    )
    .refine(
      (i) => !(i.receivedFrom && i.receivedTo) || Date.parse(i.receivedFrom) <= Date.parse(i.receivedTo),
      { message: 'receivedFrom must not be after receivedTo', path: ['receivedFrom'] },
    );
}

export const ZMessageFilter = withValidRanges(z.object(messageFilterShape));
export type MessageFilter = z.output<typeof ZMessageFilter>;

export const ZSearchMessagesInput = withValidRanges(
  z.object({
    ...messageFilterShape,
    sort: z.enum(SEARCH_SORTS).default('occurred_desc'),
    cursor: z.string().max(300).optional(),
    limit: z.number().int().min(1).max(SEARCH_MAX_LIMIT).default(50),
  }),
);

export type SearchMessagesInput = z.output<typeof ZSearchMessagesInput>;
/** What a caller passes (defaults optional), e.g. the benchmark. */
export type SearchMessagesRequest = z.input<typeof ZSearchMessagesInput>;
