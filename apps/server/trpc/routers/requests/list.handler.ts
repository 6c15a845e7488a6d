// requests.list: the tenant's request log, newest first, keyset-paginated over (at, id).
// Rows whose token resolved to no endpoint have no tenant and are never listed.
import { TRPCError } from '@trpc/server';
import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { type RequestLogRow, requestLog } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import type { ListRequestsInput } from './list.schema';

const ZCursor = z.object({ t: z.iso.datetime(), id: z.number().int() });

const encodeCursor = (r: Pick<RequestLogRow, 'at' | 'id'>) =>
  Buffer.from(JSON.stringify({ t: r.at.toISOString(), id: r.id })).toString('base64url');

function decodeCursor(s: string) {
  try {
    return ZCursor.parse(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
  } catch {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'invalid cursor' });
  }
}

export function toRequestView(r: RequestLogRow) {
  return {
    at: r.at.toISOString(),
    endpoint_id: r.endpointId,
    request_id: r.requestId,
    method: r.method,
    status: r.status,
    code: r.code,
    reason: r.reason,
    source_ip: r.sourceIp,
    body_bytes: r.bodyBytes,
    body_sha256: r.bodySha256,
    headers: r.headers,
    ack_ms: r.ackMs,
  };
}

export async function listRequestsHandler({ ctx, input }: { ctx: TenantContext; input: ListRequestsInput }) {
  const where: SQL[] = [eq(requestLog.tenantId, ctx.principal.tenantId)];
  if (input.endpointId) where.push(eq(requestLog.endpointId, input.endpointId));
  if (input.status !== undefined) where.push(eq(requestLog.status, input.status));
  if (input.code) where.push(eq(requestLog.code, input.code));
  if (input.from) where.push(gte(requestLog.at, new Date(input.from)));
  if (input.to) where.push(lte(requestLog.at, new Date(input.to)));
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    const t = new Date(c.t);
    where.push(or(lt(requestLog.at, t), and(eq(requestLog.at, t), lt(requestLog.id, c.id)))!);
  }
  const rows = await ctx.db
    .select()
    .from(requestLog)
    .where(and(...where))
    .orderBy(desc(requestLog.at), desc(requestLog.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(toRequestView),
    next_cursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}
