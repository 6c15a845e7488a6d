// The search query, shared by the tRPC handler and scripts/bench-search.ts: one tenant, any
// combination of full text, participant, date ranges, status, attachments and extra-field
// containment, keyset-paginated on (sort key, id), plus a total that is exact when it is cheap.
import { TRPCError } from '@trpc/server';
import { and, asc, count, desc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../../../../../db/client';
import {
  endpoints,
  messages,
  TENANT_LEXEME_PREFIX,
  tenantScopedExtra,
  tenantScopedParticipants,
} from '../../../../../db/schema';
import { toMessageSummary } from './message-view';
import { type MessageFilter, SEARCH_SORTS, type SearchMessagesInput, type SearchSort } from './search.schema';

/** Totals are exact up to this many matches; beyond it they are the planner's estimate. */
export const SEARCH_COUNT_CAP = 10_000;
/**
 * Time allowed for the exact count (it runs beside the page query). A count that needs longer
 * (many matches scattered over a cold table) gives way to the planner's estimate instead.
 * Best effort: PGlite has no statement timeouts, but its counts are bounded by the cap too.
 */
export const SEARCH_COUNT_BUDGET_MS = 40;
/** No exact count is attempted when the planner expects more than this many times the cap. */
export const SEARCH_COUNT_SKIP_FACTOR = 3;
/** The planner's own plan for a page gets this long before the fallback plan takes over. */
export const SEARCH_PAGE_FIRST_BUDGET_MS = 30;
/** A page query running longer than this is cancelled (TIMEOUT) instead of loading the database. */
export const SEARCH_PAGE_TIMEOUT_MS = 15_000;

export type SearchItem = ReturnType<typeof toMessageSummary> & { attachmentCount: number };

export interface SearchResult {
  items: SearchItem[];
  nextCursor: string | null;
  total: { value: number; exact: boolean };
}

export interface SearchOptions {
  countCap?: number;
  countBudgetMs?: number | undefined;
}

type Conn = Db | Tx;

// --- cursor: the last row's exact sort key (microseconds, era), its id, and the sort order ---
// The key is rendered by PostgreSQL, so no precision is lost in a JavaScript Date.
const SORT_KEY_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z" BC'`;
const ZSearchCursor = z.object({
  s: z.enum(SEARCH_SORTS),
  t: z.string().regex(/^\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z (AD|BC)$/),
  id: z.uuid(),
});
type SearchCursor = z.infer<typeof ZSearchCursor>;

export function encodeSearchCursor(c: SearchCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeSearchCursor(s: string, sort: SearchSort): SearchCursor {
  let c: SearchCursor;
  try {
    c = ZSearchCursor.parse(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
  } catch {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'invalid cursor' });
  }
  if (c.s !== sort)
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'cursor belongs to another sort order' });
  return c;
}

/**
 * The filter part of a search (no cursor): always scoped to one tenant. `forEstimate` leaves
 * out `tenant_id = …` where the other conditions already imply it (tenant-scoped index keys, an
 * endpoint checked to be the tenant's), so the planner does not count the tenant twice; it is
 * only ever EXPLAINed, never executed.
 */
export function searchConditions(
  tenantId: string,
  input: MessageFilter,
  opts: { forEstimate?: boolean } = {},
): SQL {
  const m = messages;
  const tenantImplied = Boolean(
    input.q?.trim() ||
      input.participant ||
      (input.extra && Object.keys(input.extra).length > 0) ||
      input.endpointId,
  );
  const where: SQL[] = opts.forEstimate && tenantImplied ? [] : [eq(m.tenantId, tenantId)];
  const q = input.q?.trim();
  // ANDed with the tenant's own lexeme, the GIN index answers for this tenant only. A query
  // without searchable words ('!!!') thereby filters nothing, like an empty one.
  if (q) {
    const tenantLexeme = `'${TENANT_LEXEME_PREFIX}${tenantId}'`; // a uuid: nothing to escape
    where.push(
      sql`${m.searchVector} @@ (websearch_to_tsquery('simple'::regconfig, ${q}::text) && ${tenantLexeme}::tsquery)`,
    );
  }
  if (input.endpointId) where.push(eq(m.endpointId, input.endpointId));
  // The JSONB filters go through the tenant-scoped GIN expressions ({"<tenant id>": value}), so
  // the index returns (and the planner estimates) this tenant's matches only. The identifier is
  // lower-cased by PostgreSQL, exactly as the generated participants column is.
  if (input.participant) {
    where.push(
      sql`${tenantScopedParticipants} @> jsonb_build_object(${tenantId}::text, jsonb_build_array(lower(${input.participant}::text)))`,
    );
  }
  if (input.extra && Object.keys(input.extra).length > 0) {
    where.push(sql`${tenantScopedExtra} @> ${JSON.stringify({ [tenantId]: input.extra })}::jsonb`);
  }
  // An occurred_at range is expressed on sort_at (equal to occurred_at wherever that is set),
  // so the (tenant_id, sort_at, id) index range-scans it and the planner counts it once.
  if (input.occurredFrom || input.occurredTo) where.push(sql`${m.occurredAt} is not null`);
  if (input.occurredFrom) where.push(sql`${m.sortAt} >= ${input.occurredFrom}::timestamptz`);
  if (input.occurredTo) where.push(sql`${m.sortAt} < ${input.occurredTo}::timestamptz`);
  if (input.receivedFrom) where.push(sql`${m.receivedAt} >= ${input.receivedFrom}::timestamptz`);
  if (input.receivedTo) where.push(sql`${m.receivedAt} < ${input.receivedTo}::timestamptz`);
  if (input.status) where.push(inArray(m.status, input.status));
  if (input.hasAttachments !== undefined) {
    where.push(input.hasAttachments ? gt(m.attachmentCount, 0) : eq(m.attachmentCount, 0));
  }
  return and(...where)!;
}

/** The statements of a search, unexecuted, on a connection or transaction (the benchmark EXPLAINs them). */
export function searchQueries(
  db: Conn,
  tenantId: string,
  input: SearchMessagesInput,
  countCap: number = SEARCH_COUNT_CAP,
) {
  const m = messages;
  const cursor = input.cursor ? decodeSearchCursor(input.cursor, input.sort) : undefined;
  const filter = searchConditions(tenantId, input);
  // occurred_*: sort_at (occurred_at, or received_at for a payload that never parsed).
  const key = input.sort.startsWith('received') ? m.receivedAt : m.sortAt;
  const descending = input.sort.endsWith('_desc');
  const after = cursor
    ? descending
      ? sql`(${key}, ${m.id}) < (${cursor.t}::timestamptz, ${cursor.id}::uuid)`
      : sql`(${key}, ${m.id}) > (${cursor.t}::timestamptz, ${cursor.id}::uuid)`
    : undefined;
  const page = db
    .select({
      id: m.id,
      endpointId: m.endpointId,
      externalId: m.externalId,
      status: m.status,
      occurredAt: m.occurredAt,
      receivedAt: m.receivedAt,
      archivedAt: m.archivedAt,
      from: m.from,
      to: m.to,
      // Only the preview leaves the database (bodies may be 10 MB).
      body: sql<string | null>`left(${m.body}, 200)`,
      attachmentCount: m.attachmentCount,
      sortKey: sql<string>`to_char(${key} at time zone 'UTC', ${sql.raw(SORT_KEY_FORMAT)})`,
    })
    .from(m)
    .where(after ? and(filter, after) : filter)
    .orderBy(...(descending ? [desc(key), desc(m.id)] : [asc(key), asc(m.id)]))
    .limit(input.limit + 1);
  // A bounded scan: never a count over millions of rows.
  const bounded = db
    .select({ one: sql`1` })
    .from(m)
    .where(filter)
    .limit(countCap + 1)
    .as('bounded');
  const counted = db.select({ n: count() }).from(bounded);
  return { page, count: counted };
}

/**
 * Transaction-local settings: a statement timeout; no JIT and no parallel workers (their start-up
 * costs dwarf these queries, and they delay a cancel); for the fallback, no plain index or
 * sequential scans (so: bitmap scans, then sort).
 */
async function localSettings(tx: Tx, timeoutMs: number, opts: { orderedIndexScans?: boolean } = {}) {
  const scans = opts.orderedIndexScans === false ? 'off' : 'on';
  await tx.execute(
    sql`select set_config('statement_timeout', ${String(timeoutMs)}, true), set_config('jit', 'off', true),
      set_config('max_parallel_workers_per_gather', '0', true),
      set_config('enable_indexscan', ${scans}, true), set_config('enable_seqscan', ${scans}, true)`,
  );
}

function isQueryCanceled(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '57014') return true;
  }
  return false;
}

export async function searchMessages(
  db: Db,
  tenantId: string,
  input: SearchMessagesInput,
  opts: SearchOptions = {},
): Promise<SearchResult> {
  const cap = opts.countCap ?? SEARCH_COUNT_CAP;
  if (input.cursor) decodeSearchCursor(input.cursor, input.sort); // a bad cursor fails before any query
  if (input.endpointId && !(await ownsEndpoint(db, tenantId, input.endpointId))) {
    return { items: [], nextCursor: null, total: { value: 0, exact: true } }; // another tenant's endpoint
  }
  const [rows, counted] = await Promise.all([
    searchPage(db, tenantId, input),
    searchCount(db, tenantId, input, opts),
  ]);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const hasMore = rows.length > input.limit;

  let total: SearchResult['total'];
  if (!input.cursor && !hasMore) {
    total = { value: page.length, exact: true }; // the whole result is on this page
  } else if (counted.exact !== null && counted.exact <= cap) {
    total = { value: counted.exact, exact: true };
  } else {
    // What is certain: more than the cap (if counted), more than this page (if the first).
    const atLeast = counted.exact !== null ? cap + 1 : input.cursor ? 0 : rows.length;
    total = { value: Math.max(atLeast, Math.round(counted.estimate)), exact: false };
  }
  return {
    items: page.map(toItem),
    nextCursor: hasMore && last ? encodeSearchCursor({ s: input.sort, t: last.sortKey, id: last.id }) : null,
    total,
  };
}

/**
 * The total, exact when that is cheap: skipped when the planner expects several times more
 * matches than the cap (estimates can be off either way, so a band above the cap is still
 * counted), and otherwise a bounded count with a time budget, beside the page query.
 */
async function searchCount(
  db: Db,
  tenantId: string,
  input: SearchMessagesInput,
  opts: SearchOptions,
): Promise<{ exact: number | null; estimate: number }> {
  const cap = opts.countCap ?? SEARCH_COUNT_CAP;
  const estimate = await plannerRows(db, tenantId, input);
  if (estimate > cap * SEARCH_COUNT_SKIP_FACTOR) return { exact: null, estimate };
  try {
    const exact = await db.transaction(async (tx) => {
      await localSettings(tx, opts.countBudgetMs ?? SEARCH_COUNT_BUDGET_MS);
      const [row] = await searchQueries(tx, tenantId, input, cap).count;
      return Number(row?.n ?? 0);
    });
    return { exact, estimate };
  } catch (err) {
    if (isQueryCanceled(err)) return { exact: null, estimate };
    throw err;
  }
}

/**
 * The page, with a fallback for a misestimated plan. The planner reads most searches newest
 * first along (tenant_id, sort key) and filters as it goes, which is instant while matches are
 * dense; when they are not where it expects (a word or value frequent elsewhere but rare in this
 * tenant or time range), that walk can cover the whole tenant. So the first attempt gets a short
 * budget, and a second one fetches the matches through the indexes (bitmap scans) and sorts them.
 */
async function searchPage(db: Db, tenantId: string, input: SearchMessagesInput) {
  try {
    return await db.transaction(async (tx) => {
      await localSettings(tx, SEARCH_PAGE_FIRST_BUDGET_MS);
      return await searchQueries(tx, tenantId, input).page;
    });
  } catch (err) {
    if (!isQueryCanceled(err)) throw err;
  }
  try {
    return await db.transaction(async (tx) => {
      await localSettings(tx, SEARCH_PAGE_TIMEOUT_MS, { orderedIndexScans: false });
      return await searchQueries(tx, tenantId, input).page;
    });
  } catch (err) {
    if (!isQueryCanceled(err)) throw err;
    throw new TRPCError({ code: 'TIMEOUT', message: 'search took too long; narrow it down with filters' });
  }
}

type PageRow = Awaited<ReturnType<typeof searchQueries>['page']>[number];

function toItem(r: PageRow): SearchItem {
  return { ...toMessageSummary(r), attachmentCount: r.attachmentCount };
}

/** The planner's estimate of all matches (one EXPLAIN: planning only, nothing is read). */
async function plannerRows(db: Db, tenantId: string, input: SearchMessagesInput): Promise<number> {
  const query = db
    .select({ one: sql`1` })
    .from(messages)
    .where(searchConditions(tenantId, input, { forEstimate: true }))
    .getSQL();
  const res = (await db.execute(sql`explain (format json) ${query}`)) as unknown;
  const rows = (Array.isArray(res) ? res : (res as { rows: unknown[] }).rows) as Record<string, unknown>[];
  let plan = rows[0]?.['QUERY PLAN'];
  if (typeof plan === 'string') plan = JSON.parse(plan);
  const rowsEstimate = (plan as { Plan?: { 'Plan Rows'?: number } }[] | undefined)?.[0]?.Plan?.['Plan Rows'];
  return typeof rowsEstimate === 'number' ? rowsEstimate : 0;
}

async function ownsEndpoint(db: Db, tenantId: string, endpointId: string): Promise<boolean> {
  const rows = await db
    .select({ id: endpoints.id })
    .from(endpoints)
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.tenantId, tenantId)))
    .limit(1);
  return rows.length > 0;
}
