// messages.volume: the Messages page's filter counted per hour or day, by status. Rows are
// written directly with their ages, then counted through the API and compared with
// messages.search over the same filter (one filter schema, one set of conditions).
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, messages } from '../db/schema';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('messages.volume', () => {
  let stack: Stack;
  let tenantId: string;
  let api: ReturnType<typeof adminClient>;
  let endpointA: string;
  let endpointB: string;
  // A whole UTC hour, so bucket boundaries are known, an hour back so no row is in the future.
  const now = Math.floor(Date.now() / HOUR) * HOUR - HOUR;

  const row = (
    endpointId: string,
    status: 'received' | 'stored' | 'archived' | 'failed',
    ageMs: number,
    body: string,
    occurredAgeMs = ageMs,
  ) => {
    const id = randomUUID();
    return {
      id,
      tenantId,
      endpointId,
      externalId: `vol-${id}`,
      receivedAt: new Date(now - ageMs + 60_000),
      occurredAt: new Date(now - occurredAgeMs + 60_000),
      body,
      rawSha256: '0'.repeat(64),
      rawSize: 2,
      requestId: randomUUID(),
      workflowId: `archive-${id}`,
      status,
    };
  };

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    ({ tenantId } = await stack.newTenant().then(async (t) => {
      api = adminClient(stack.baseUrl, t.adminKey);
      return t;
    }));
    endpointA = (await api.endpoints.create.mutate({ name: 'a', authMode: 'bearer' })).endpoint.id;
    endpointB = (await api.endpoints.create.mutate({ name: 'b', authMode: 'bearer' })).endpoint.id;
    await stack.database.db.insert(messages).values([
      row(endpointA, 'archived', 0, 'zebra one'),
      row(endpointA, 'archived', 0, 'zebra two'),
      row(endpointA, 'archived', 2 * HOUR, 'zebra three', 10 * DAY),
      row(endpointA, 'failed', DAY, 'zebra four'),
      row(endpointB, 'stored', 3 * DAY, 'lion'),
      row(endpointB, 'archived', 40 * DAY, 'zebra old'), // outside the default 30 days
    ]);
  });
  afterAll(() => stack?.close());

  it('counts the tenant by day over the last 30 days, by status', async () => {
    const v = await api.messages.volume.query({});
    expect(v).toMatchObject({ by: 'received', bucket: 'day', bucketSeconds: 86_400 });
    expect(Date.parse(v.to) - Date.parse(v.from)).toBe(30 * DAY);
    expect(v.totals).toEqual({ total: 5, received: 0, stored: 1, archived: 3, failed: 1 });
    expect(v.buckets.reduce((a, b) => a + b.total, 0)).toBe(5);
    // Buckets are UTC days, newest last; each holds what was received that day.
    const day = (ms: number) => `${new Date(ms).toISOString().slice(0, 10)}T00:00:00Z`;
    const byDay = new Map<string, number>();
    for (const ms of [
      now + 60_000,
      now + 60_000,
      now - 2 * HOUR + 60_000,
      now - DAY + 60_000,
      now - 3 * DAY + 60_000,
    ])
      byDay.set(day(ms), (byDay.get(day(ms)) ?? 0) + 1);
    expect(Object.fromEntries(v.buckets.map((b) => [b.t, b.total]))).toEqual(Object.fromEntries(byDay));
  });

  it('applies the search filter: the same totals as messages.search', async () => {
    for (const filter of [
      { q: 'zebra' },
      { endpointId: endpointB },
      { status: ['failed' as const] },
      { q: 'zebra', status: ['archived' as const] },
      { receivedFrom: new Date(now - 30 * DAY).toISOString() },
    ]) {
      const v = await api.messages.volume.query(filter);
      // The chart covers its window (the filter's range, else the last 30 days): search the same.
      const s = await api.messages.search.query({ ...filter, receivedFrom: v.from, receivedTo: v.to });
      expect(s.total.exact).toBe(true);
      expect(v.totals.total, JSON.stringify(filter)).toBe(s.total.value);
    }
    expect((await api.messages.volume.query({ q: 'zebra' })).totals.total).toBe(4);
  });

  it('hour buckets within the filter range, and by occurred date', async () => {
    const v = await api.messages.volume.query({
      bucket: 'hour',
      receivedFrom: new Date(now - 3 * HOUR).toISOString(),
      receivedTo: new Date(now + HOUR).toISOString(),
    });
    expect(v.bucketSeconds).toBe(3600);
    expect(v.from).toBe(new Date(now - 3 * HOUR).toISOString());
    expect(v.buckets.map((b) => [b.t, b.total])).toEqual([
      [new Date(now - 2 * HOUR).toISOString().replace('.000', ''), 1],
      [new Date(now).toISOString().replace('.000', ''), 2],
    ]);
    // By occurred_at, the message that occurred 10 days ago moves out of the last 2 days.
    const occurred = await api.messages.volume.query({ by: 'occurred', bucket: 'hour' });
    expect(occurred.totals.total).toBe(3);
  });

  it('refuses too many buckets', async () => {
    const err = await trpcError(
      api.messages.volume.query({ bucket: 'hour', receivedFrom: new Date(now - 100 * DAY).toISOString() }),
    );
    expect(err.data?.code).toBe('BAD_REQUEST');
  });

  it("another tenant counts none of them, even with this tenant's endpoint", async () => {
    const other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    expect((await other.messages.volume.query({})).totals.total).toBe(0);
    expect((await other.messages.volume.query({ endpointId: endpointA })).totals.total).toBe(0);
  });

  it('a text filter is audited like a search', async () => {
    await api.messages.volume.query({ q: 'lion' });
    const rows = await stack.database.db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, 'messages.searched')));
    expect(rows.map((r) => r.details)).toContainEqual(
      expect.objectContaining({ volume: true, count: 1, query: expect.objectContaining({ q: 'lion' }) }),
    );
  });
});
