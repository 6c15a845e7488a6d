import { z } from 'zod';
import { messageStatusEnum } from '../../../../../db/schema';

export const SEARCH_MAX_LIMIT = 200;
/** occurred_*: by occurred_at (received_at for a payload that never parsed); received_*: by received_at. */
export const SEARCH_SORTS = ['occurred_desc', 'occurred_asc', 'received_desc', 'received_asc'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];
export const EXTRA_FILTER_MAX_BYTES = 4096;
export const EXTRA_FILTER_MAX_DEPTH = 8;

// PostgreSQL text cannot hold NUL, and jsonb refuses lone surrogates: refuse them here (400),
// not in the database (500).
const LONE_SURROGATE = /\p{Cs}/u;
const storable = (s: string) => !s.includes('\u0000') && !LONE_SURROGATE.test(s);
const storableText = (max: number) =>
  z.string().max(max).refine(storable, 'must not contain NUL or unpaired surrogates');

const isoDate = z.iso.datetime({ offset: true });

/** True if every string (keys included) is storable and nesting stays within `depth`. */
function jsonIsSearchable(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return storable(value);
  if (value === null || typeof value !== 'object') return true;
  if (depth === 0) return false;
  if (Array.isArray(value)) return value.every((v) => jsonIsSearchable(v, depth - 1));
  return Object.entries(value).every(([k, v]) => storable(k) && jsonIsSearchable(v, depth - 1));
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
  .refine((v) => jsonIsSearchable(v, EXTRA_FILTER_MAX_DEPTH), {
    message: `must nest at most ${EXTRA_FILTER_MAX_DEPTH} levels and contain no NUL or unpaired surrogates`,
  });

export const ZSearchMessagesInput = z
  .object({
    /** Web-search syntax: words (AND), "quoted phrases", `or`, `-word`. Language-neutral. */
    q: storableText(1000).optional(),
    endpointId: z.uuid().optional(),
    /** An identifier of the sender or a recipient (exact, case-insensitive). */
    participant: storableText(2048).trim().min(1).optional(),
    /** Ranges are half-open: from <= t < to. */
    occurredFrom: isoDate.optional(),
    occurredTo: isoDate.optional(),
    receivedFrom: isoDate.optional(),
    receivedTo: isoDate.optional(),
    status: z.array(z.enum(messageStatusEnum.enumValues)).min(1).max(4).optional(),
    hasAttachments: z.boolean().optional(),
    extra: ZExtraFilter.optional(),
    sort: z.enum(SEARCH_SORTS).default('occurred_desc'),
    cursor: z.string().max(300).optional(),
    limit: z.number().int().min(1).max(SEARCH_MAX_LIMIT).default(50),
  })
  .refine(
    (i) => !(i.occurredFrom && i.occurredTo) || Date.parse(i.occurredFrom) <= Date.parse(i.occurredTo),
    {
      message: 'occurredFrom must not be after occurredTo',
      path: ['occurredFrom'],
    },
  )
  .refine(
    (i) => !(i.receivedFrom && i.receivedTo) || Date.parse(i.receivedFrom) <= Date.parse(i.receivedTo),
    {
      message: 'receivedFrom must not be after receivedTo',
      path: ['receivedFrom'],
    },
  );

export type SearchMessagesInput = z.output<typeof ZSearchMessagesInput>;
/** What a caller passes (defaults optional), e.g. the benchmark. */
export type SearchMessagesRequest = z.input<typeof ZSearchMessagesInput>;
