// Completeness against the producer's own list: which ids we never got, which arrived with other
// bytes, and (given a window) which we hold that the producer did not list.
import { TRPCError } from '@trpc/server';
import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import { endpoints, messages } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import type { ReconcileInput } from './reconcile.schema';

const UNEXPECTED_LIMIT = 10_000;
const CHUNK = 1000;

export async function reconcileHandler({ ctx, input }: { ctx: TenantContext; input: ReconcileInput }) {
  const [endpoint] = await ctx.db
    .select({ id: endpoints.id })
    .from(endpoints)
    .where(and(eq(endpoints.id, input.endpointId), eq(endpoints.tenantId, ctx.principal.tenantId)));
  if (!endpoint)
    throw new TRPCError({ code: 'NOT_FOUND', message: `endpoint ${input.endpointId} not found` });

  const ids = [...new Set(input.items.map((i) => i.external_id))];
  const stored = new Map<string, string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await ctx.db
      .select({ externalId: messages.externalId, rawSha256: messages.rawSha256 })
      .from(messages)
      .where(
        and(eq(messages.endpointId, endpoint.id), inArray(messages.externalId, ids.slice(i, i + CHUNK))),
      );
    for (const r of rows) stored.set(r.externalId, r.rawSha256);
  }

  let matched = 0;
  const missing: string[] = [];
  const mismatched: { external_id: string; expected_sha256: string; archived_sha256: string }[] = [];
  for (const item of input.items) {
    const have = stored.get(item.external_id);
    if (have === undefined) missing.push(item.external_id);
    else if (item.sha256 !== undefined && item.sha256 !== have)
      mismatched.push({ external_id: item.external_id, expected_sha256: item.sha256, archived_sha256: have });
    else matched++;
  }

  let unexpected: string[] | undefined;
  let unexpectedTruncated = false;
  if (input.receivedFrom && input.receivedTo) {
    const listed = new Set(ids);
    unexpected = [];
    const rows = await ctx.db
      .select({ externalId: messages.externalId })
      .from(messages)
      .where(
        and(
          eq(messages.endpointId, endpoint.id),
          gte(messages.receivedAt, new Date(input.receivedFrom)),
          lt(messages.receivedAt, new Date(input.receivedTo)),
        ),
      )
      .limit(ids.length + UNEXPECTED_LIMIT + 1);
    for (const r of rows) if (!listed.has(r.externalId)) unexpected.push(r.externalId);
    unexpectedTruncated = unexpected.length > UNEXPECTED_LIMIT;
    unexpected = unexpected.slice(0, UNEXPECTED_LIMIT);
  }
  return {
    matched,
    missing,
    mismatched,
    ...(unexpected ? { unexpected, unexpected_truncated: unexpectedTruncated } : {}),
  };
}
