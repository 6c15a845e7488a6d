// messages.search and messages.verify over the real admin API, on messages sent as real
// webhooks and archived by the real workflow, on both database kinds. Invariants: 6 (tenants
// isolated), 7 (bad input gets a clear 4xx).
import { randomUUID } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchMessages } from '../apps/server/trpc/routers/messages/search.query';
import {
  type SearchMessagesRequest,
  ZSearchMessagesInput,
} from '../apps/server/trpc/routers/messages/search.schema';
import { auditLog, messages } from '../db/schema';
import { messageRecordKey } from '../worm/keys';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';
import { type Ack, postBearer, postHmac } from './helpers/webhooks';

type AdminApi = ReturnType<typeof adminClient>;

const FILLERS = 20;

/** expect.poll only works inside a test; this is for hooks. */
async function waitFor(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.each(['postgres', 'pglite'] as const)('search on %s', (dbKind) => {
  let stack: Stack;
  let tenantId: string;
  let api: AdminApi;
  let other: AdminApi;
  let endpointA: string;
  let endpointB: string;
  let otherEndpoint: string;
  let otherMessageId: string;
  let failedId: string;
  const ids: Record<string, string> = {};
  const all: string[] = [];
  let sentAt: Date;

  const search = (input: SearchMessagesRequest = {}) => api.messages.search.query(input);
  /** The external ids a search returns, in order (one page of up to 200). */
  const find = async (input: SearchMessagesRequest = {}) =>
    (await search({ limit: 200, ...input })).items.map((i) => i.externalId).sort();

  beforeAll(async () => {
    // A generous count budget: under the whole suite's load on two cores the default 40 ms can
    // run out, and these tests assert exact totals (the cap's estimate is tested below).
    stack = await startStack({ db: dbKind, env: { SEARCH_COUNT_BUDGET_MS: '5000' } });
    const t = await stack.newTenant();
    tenantId = t.tenantId;
    api = adminClient(stack.baseUrl, t.adminKey);
    other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    const a = await api.endpoints.create.mutate({ name: 'mail', authMode: 'bearer' });
    const b = await api.endpoints.create.mutate({ name: 'chat', authMode: 'hmac' });
    const o = await other.endpoints.create.mutate({ name: 'other', authMode: 'bearer' });
    endpointA = a.endpoint.id;
    endpointB = b.endpoint.id;
    otherEndpoint = o.endpoint.id;

    sentAt = new Date();
    const send = async (name: string, via: 'a' | 'b', payload: Record<string, unknown>) => {
      const p = { external_id: name, attachments: [], ...payload };
      const res =
        via === 'a'
          ? await postBearer(a.endpoint.url, a.secret, p)
          : await postHmac(b.endpoint.url, b.secret, p);
      expect(res.status).toBe(200);
      ids[name] = ((await res.json()) as Ack).message_id;
      all.push(name);
    };
    await send('report', 'a', {
      occurred_at: '2026-03-01T09:00:00Z',
      from: { identifier: 'alice@example.com', display_name: 'Alice Liddell' },
      to: [{ identifier: 'bob@example.com', display_name: 'Bob Builder' }],
      body: 'Quarterly revenue report for the board',
      attachments: [
        {
          filename: 'report.txt',
          content_type: 'text/plain',
          content_base64: Buffer.from('numbers').toString('base64'),
        },
      ],
      ticket: { id: 'INC-4711', priority: 'high' },
      channel: 'email',
      tags: ['finance', 'q1'],
    });
    await send('lunch', 'a', {
      occurred_at: '2026-03-02T12:00:00Z',
      from: { identifier: 'bob@example.com', display_name: 'Bob Builder' },
      to: [{ identifier: 'carol@example.org', display_name: 'Carol Danvers' }],
      body: 'Lunch on Friday?',
      ticket: { id: 'INC-4712', priority: 'low' },
      channel: 'chat',
    });
    await send('numbers', 'b', {
      occurred_at: '2026-03-03T08:00:00+02:00',
      from: { identifier: 'Dave.Smith@Example.COM', display_name: 'Dave' },
      to: [
        { identifier: 'alice@example.com' },
        { identifier: 'Émile@Example.com', display_name: 'Émile Zola' },
      ],
      body: 'Re: quarterly numbers',
      customer: { id: 99123, tier: 'gold' },
    });
    // Fillers share occurred_at in pairs, so pages must break ties on id.
    for (let i = 0; i < FILLERS; i++) {
      await send(`filler-${String(i).padStart(2, '0')}`, 'b', {
        occurred_at: `2026-02-01T00:00:${String(Math.floor(i / 2)).padStart(2, '0')}Z`,
        from: { identifier: 'noreply@bot.example' },
        to: [{ identifier: 'ops@example.com' }],
        body: `filler message number ${i}`,
        seq: i,
      });
    }
    // The other tenant sends look-alikes: none may ever show up in this tenant's results.
    const res = await postBearer(o.endpoint.url, o.secret, {
      external_id: 'report',
      occurred_at: '2026-03-01T09:00:00Z',
      from: { identifier: 'alice@example.com', display_name: 'Alice Liddell' },
      to: [{ identifier: 'bob@example.com' }],
      body: 'Quarterly revenue report for the board',
      attachments: [],
      ticket: { id: 'INC-4711', priority: 'high' },
    });
    otherMessageId = ((await res.json()) as Ack).message_id;

    // A message whose payload was refused by the worker, as recordFailure writes it: no
    // occurred_at (it sorts by received_at), no body, status failed.
    failedId = randomUUID();
    await stack.database.db.insert(messages).values({
      id: failedId,
      tenantId,
      endpointId: endpointA,
      externalId: 'refused',
      receivedAt: new Date('2026-02-15T00:00:00Z'),
      rawSha256: 'a'.repeat(64),
      rawSize: 10,
      requestId: randomUUID(),
      workflowId: 'archive-refused',
      status: 'failed',
      error: 'validation failed',
    });
    all.push('refused');

    await waitFor(async () => (await api.messages.counts.query()).archived === all.length - 1, 60_000);
    await waitFor(async () => (await other.messages.counts.query()).archived === 1, 30_000);
  });
  afterAll(() => stack?.close());

  describe('full text', () => {
    it('finds body words, phrases and combinations', async () => {
      expect(await find({ q: 'quarterly' })).toEqual(['numbers', 'report']);
      expect(await find({ q: 'QUARTERLY board' })).toEqual(['report']);
      expect(await find({ q: '"revenue report"' })).toEqual(['report']);
      expect(await find({ q: '"report revenue"' })).toEqual([]);
      expect(await find({ q: 'quarterly -board' })).toEqual(['numbers']);
      expect(await find({ q: 'lunch or board' })).toEqual(['lunch', 'report']);
      expect(await find({ q: 'filler' })).toHaveLength(FILLERS);
      expect(await find({ q: 'nothing-like-this' })).toEqual([]);
    });

    it('finds e-mail addresses whole, and by their parts', async () => {
      expect(await find({ q: 'carol@example.org' })).toEqual(['lunch']);
      expect(await find({ q: 'alice@example.com' })).toEqual(['numbers', 'report']);
      expect(await find({ q: 'Dave.Smith@example.com' })).toEqual(['numbers']);
      expect(await find({ q: 'alice' })).toEqual(['numbers', 'report']);
      expect(await find({ q: 'smith' })).toEqual(['numbers']);
    });

    it('finds display names', async () => {
      expect(await find({ q: 'Liddell' })).toEqual(['report']);
      expect(await find({ q: 'Carol Danvers' })).toEqual(['lunch']);
      expect(await find({ q: 'zola' })).toEqual(['numbers']);
    });

    it('finds strings and numbers inside extra fields, not their keys', async () => {
      expect(await find({ q: 'INC-4711' })).toEqual(['report']);
      expect(await find({ q: 'inc-4712' })).toEqual(['lunch']);
      expect(await find({ q: '4711' })).toEqual(['report']);
      expect(await find({ q: 'gold' })).toEqual(['numbers']);
      expect(await find({ q: '99123' })).toEqual(['numbers']);
      expect(await find({ q: 'finance' })).toEqual(['report']);
      expect(await find({ q: 'priority' })).toEqual([]);
    });

    it('treats odd queries as queries, not errors', async () => {
      for (const q of [
        '!!!',
        '"unterminated',
        'or or -',
        '-',
        '   ',
        '&|!():*',
        "'; drop table messages; --",
        'x'.repeat(1000),
      ]) {
        const r = await search({ q });
        expect(r.items.every((i) => all.includes(i.externalId))).toBe(true);
      }
      // No searchable words: no text filter, as with an empty query.
      expect(await find({ q: '   ' })).toHaveLength(all.length);
      expect(await find({ q: '!!!' })).toHaveLength(all.length);
      expect(await find({ q: '-quarterly' })).toHaveLength(all.length - 2);
    });
  });

  describe('filters', () => {
    it('by participant: an exact identifier of the sender or a recipient, any case', async () => {
      expect(await find({ participant: 'BOB@example.com' })).toEqual(['lunch', 'report']);
      expect(await find({ participant: 'dave.smith@example.com' })).toEqual(['numbers']);
      expect(await find({ participant: 'Émile@EXAMPLE.COM' })).toEqual(['numbers']);
      expect(await find({ participant: 'ops@example.com' })).toHaveLength(FILLERS);
      expect(await find({ participant: 'alice' })).toEqual([]);
    });

    it('by endpoint', async () => {
      expect(await find({ endpointId: endpointA })).toEqual(['lunch', 'refused', 'report']);
      expect(await find({ endpointId: endpointB, q: 'quarterly' })).toEqual(['numbers']);
    });

    it('by occurred_at range (from inclusive, to exclusive)', async () => {
      expect(
        await find({ occurredFrom: '2026-03-01T00:00:00Z', occurredTo: '2026-03-03T00:00:00Z' }),
      ).toEqual(['lunch', 'report']);
      expect(
        await find({ occurredFrom: '2026-03-01T09:00:00Z', occurredTo: '2026-03-01T09:00:00.001Z' }),
      ).toEqual(['report']);
      expect(
        await find({ occurredTo: '2026-03-01T09:00:00Z', occurredFrom: '2026-02-28T00:00:00Z' }),
      ).toEqual([]);
      // 08:00+02:00 is 06:00Z.
      expect(await find({ occurredFrom: '2026-03-03T06:00:00Z' })).toEqual(['numbers']);
      expect(
        await find({ occurredFrom: '2026-03-03T07:00:00+01:00', occurredTo: '2026-03-03T06:00:01Z' }),
      ).toEqual(['numbers']);
      expect(await find({ occurredTo: '2026-02-02T00:00:00Z' })).toHaveLength(FILLERS);
      // A message without occurred_at never matches an occurred_at range.
      expect(await find({ occurredFrom: '2000-01-01T00:00:00Z', status: ['failed'] })).toEqual([]);
    });

    it('by received_at range', async () => {
      const report = (await search({ q: 'board' })).items[0]!;
      const lunch = (await search({ q: 'lunch' })).items[0]!;
      expect(await find({ receivedFrom: report.receivedAt, receivedTo: lunch.receivedAt })).toEqual([
        'report',
      ]);
      expect(await find({ receivedFrom: sentAt.toISOString() })).toHaveLength(all.length - 1);
      expect(await find({ receivedTo: sentAt.toISOString() })).toEqual(['refused']);
    });

    it('by status', async () => {
      expect(await find({ status: ['failed'] })).toEqual(['refused']);
      expect(await find({ status: ['archived'] })).toHaveLength(all.length - 1);
      expect(await find({ status: ['archived', 'failed'] })).toHaveLength(all.length);
      expect(await find({ status: ['received', 'stored'] })).toEqual([]);
    });

    it('by attachment presence', async () => {
      const withAtt = await search({ hasAttachments: true });
      expect(withAtt.items.map((i) => i.externalId)).toEqual(['report']);
      expect(withAtt.items[0]!.attachmentCount).toBe(1);
      expect(await find({ hasAttachments: false })).toHaveLength(all.length - 1);
    });

    it('by extra fields (JSONB containment)', async () => {
      expect(await find({ extra: { ticket: { priority: 'high' } } })).toEqual(['report']);
      expect(await find({ extra: { ticket: { id: 'INC-4712', priority: 'low' } } })).toEqual(['lunch']);
      expect(await find({ extra: { channel: 'chat' } })).toEqual(['lunch']);
      expect(await find({ extra: { tags: ['finance'] } })).toEqual(['report']);
      expect(await find({ extra: { customer: { id: 99123 } } })).toEqual(['numbers']);
      expect(await find({ extra: { customer: { id: '99123' } } })).toEqual([]);
      expect(await find({ extra: { seq: 7 } })).toEqual(['filler-07']);
      expect(await find({ extra: { ticket: { priority: 'high' } }, q: 'lunch' })).toEqual([]);
      expect(await find({ extra: {} })).toHaveLength(all.length);
    });
  });

  describe('order and pages', () => {
    it('sorts by occurred_at (received_at when absent), newest first by default, ties by id', async () => {
      const desc = (await search({ limit: 200 })).items;
      expect(desc).toHaveLength(all.length);
      const key = (i: (typeof desc)[number]) => `${i.occurredAt ?? i.receivedAt}|${i.id}`;
      const keys = desc.map(key);
      expect(keys).toEqual([...keys].sort().reverse());
      expect(desc.slice(0, 3).map((i) => i.externalId)).toEqual(['numbers', 'lunch', 'report']);
      expect(desc[3]!.externalId).toBe('refused'); // 2026-02-15 by received_at
      const asc = (await search({ limit: 200, sort: 'occurred_asc' })).items;
      expect(asc.map((i) => i.id)).toEqual(desc.map((i) => i.id).reverse());
      // By received_at instead: the refused message (received 2026-02-15) is the oldest.
      const byReceived = (await search({ limit: 200, sort: 'received_desc' })).items;
      const rkeys = byReceived.map((i) => `${i.receivedAt}|${i.id}`);
      expect(rkeys).toEqual([...rkeys].sort().reverse());
      expect(byReceived.at(-1)!.externalId).toBe('refused');
      expect((await search({ limit: 1, sort: 'received_asc' })).items[0]!.externalId).toBe('refused');
    });

    it.each(['occurred_desc', 'occurred_asc', 'received_desc', 'received_asc'] as const)(
      'pages through everything (%s) with no gaps or duplicates',
      async (sort) => {
        const whole = (await search({ limit: 200, sort })).items.map((i) => i.id);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await search({ limit: 4, sort, cursor });
          expect(page.total).toEqual({ value: all.length, exact: true });
          expect(page.items.length).toBeLessThanOrEqual(4);
          seen.push(...page.items.map((i) => i.id));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor);
        expect(pages).toBe(Math.ceil(all.length / 4));
        expect(seen).toEqual(whole);
        expect(new Set(seen).size).toBe(all.length);

        // The same with a filter.
        const fillers: string[] = [];
        cursor = undefined;
        do {
          const page = await search({ q: 'filler', limit: 3, sort, cursor });
          expect(page.total).toEqual({ value: FILLERS, exact: true });
          fillers.push(...page.items.map((i) => i.externalId));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(new Set(fillers).size).toBe(FILLERS);
        expect([...fillers].sort()).toEqual(all.filter((n) => n.startsWith('filler')).sort());
      },
    );

    it('returns items shaped like messages.list, plus attachmentCount', async () => {
      const [item] = (await search({ q: 'board' })).items;
      const [listed] = (await api.messages.list.query({ limit: 200 })).items.filter(
        (i) => i.id === ids.report,
      );
      expect(item).toEqual({ ...listed, attachmentCount: 1 });
      expect(item!.bodyPreview).toBe('Quarterly revenue report for the board');
    });

    it('gives an exact total up to the cap, an estimate beyond it', async () => {
      expect((await search({ q: 'filler', limit: 1 })).total).toEqual({ value: FILLERS, exact: true });
      expect((await search({ q: 'nothing-like-this' })).total).toEqual({ value: 0, exact: true });
      const r = await searchMessages(
        stack.database.db,
        tenantId,
        ZSearchMessagesInput.parse({ q: 'filler', limit: 2 }),
        {
          countCap: 5,
        },
      );
      expect(r.items).toHaveLength(2);
      expect(r.total.exact).toBe(false);
      expect(r.total.value).toBeGreaterThan(5);
    });
  });

  describe('tenant isolation', () => {
    it("never shows another tenant's messages, whatever the filter", async () => {
      const mine = Object.values(ids);
      for (const input of [
        { q: 'INC-4711' },
        { q: 'quarterly' },
        { participant: 'alice@example.com' },
        { extra: { ticket: { priority: 'high' } } },
        {},
      ] satisfies SearchMessagesRequest[]) {
        const theirs = await other.messages.search.query({ ...input, limit: 200 });
        expect(theirs.items.map((i) => i.id)).toEqual([otherMessageId]);
        expect(theirs.total).toEqual({ value: 1, exact: true });
        const ours = await search({ ...input, limit: 200 });
        expect(ours.items.map((i) => i.id)).not.toContain(otherMessageId);
      }
      const theirs = await other.messages.search.query({ endpointId: endpointA, limit: 200 });
      expect(theirs.items).toEqual([]);
      expect(mine).not.toContain(otherMessageId);
      expect(await find({ endpointId: otherEndpoint })).toEqual([]);
    });

    it("refuses to verify another tenant's message", async () => {
      const err = await trpcError(other.messages.verify.mutate({ id: ids.report! }));
      expect(err.data?.code).toBe('NOT_FOUND');
    });
  });

  describe('bad input', () => {
    it('answers BAD_REQUEST, never a 500', async () => {
      const cursor = (await search({ limit: 1 })).nextCursor!;
      const bad: unknown[] = [
        { limit: 0 },
        { limit: 201 },
        { limit: 1.5 },
        { status: ['nope'] },
        { status: [] },
        { sort: 'relevance' },
        { occurredFrom: 'yesterday' },
        { occurredTo: '2026-13-01T00:00:00Z' },
        { receivedFrom: '2026-03-01' },
        { occurredFrom: '2026-03-02T00:00:00Z', occurredTo: '2026-03-01T00:00:00Z' },
        { receivedFrom: '2026-03-02T00:00:00Z', receivedTo: '2026-03-01T00:00:00Z' },
        { endpointId: 'not-a-uuid' },
        { participant: '' },
        { participant: 'x'.repeat(2049) },
        { q: 'x'.repeat(1001) },
        { hasAttachments: 'yes' },
        { extra: 'ticket' },
        { extra: ['a'] },
        { extra: { big: 'x'.repeat(5000) } },
        { extra: { deep: JSON.parse(`${'{"a":'.repeat(10)}1${'}'.repeat(10)}`) } },
        { cursor: 'garbage' },
        { cursor: Buffer.from('{"d":"desc","t":"x","id":"y"}').toString('base64url') },
        { cursor, sort: 'occurred_asc' },
        { cursor: 'x'.repeat(301) },
      ];
      for (const input of bad) {
        const err = await trpcError(search(input as SearchMessagesRequest));
        expect(err.data?.code, JSON.stringify(input).slice(0, 100)).toBe('BAD_REQUEST');
        expect(err.data?.httpStatus).toBe(400);
      }
      const err = await trpcError(api.messages.verify.mutate({ id: 'nope' }));
      expect(err.data?.code).toBe('BAD_REQUEST');
    });

    it('needs an admin key', async () => {
      const err = await trpcError(adminClient(stack.baseUrl, null).messages.search.query({ q: 'quarterly' }));
      expect(err.data?.code).toBe('UNAUTHORIZED');
    });
  });

  describe('verify', () => {
    it('checks every sealed object of an archived message against its manifest', async () => {
      const r = await api.messages.verify.mutate({ id: ids.report! });
      expect(r.ok).toBe(true);
      expect(r.messageId).toBe(ids.report);
      expect(r.objects.map((o) => o.kind).sort()).toEqual(['attachment', 'manifest', 'raw', 'record']);
      for (const o of r.objects) {
        expect(o.ok).toBe(true);
        expect(o.actualSha256).toBe(o.expectedSha256);
        expect(o.actualSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(o.size).toBe(o.expectedSize);
      }
      const [m] = await stack.database.db.select().from(messages).where(eq(messages.id, ids.report!));
      expect(r.objects.find((o) => o.kind === 'manifest')!.key).toBe(m!.manifestKey);
      expect(r.objects.find((o) => o.kind === 'raw')!.expectedSha256).toBe(m!.rawSha256);
      const audited = await stack.database.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.targetId, ids.report!), eq(auditLog.action, 'message.verified')));
      expect(audited).toHaveLength(1);
      expect(audited[0]!.details).toMatchObject({ ok: true, failed: [] });
    });

    it('reports a message that is not archived yet, without an error', async () => {
      expect(await api.messages.verify.mutate({ id: failedId })).toEqual({
        messageId: failedId,
        ok: false,
        reason: 'not_archived',
        objects: [],
      });
      const err = await trpcError(api.messages.verify.mutate({ id: randomUUID() }));
      expect(err.data?.code).toBe('NOT_FOUND');
    });

    it('flags a WORM object that was tampered with on disk', async () => {
      const key = messageRecordKey(tenantId, ids.lunch!);
      expect((await api.messages.verify.mutate({ id: ids.lunch! })).ok).toBe(true);
      const file = path.join(stack.wormDir, ...key.split('/'));
      const original = await readFile(file, 'utf8');
      await chmod(file, 0o644);
      await writeFile(file, original.replace('Lunch on Friday?', 'Lunch on Monday?'));
      await chmod(file, 0o444);

      const r = await api.messages.verify.mutate({ id: ids.lunch! });
      expect(r.ok).toBe(false);
      const bad = r.objects.filter((o) => !o.ok);
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatchObject({ key, kind: 'record', error: 'content differs from what was sealed' });
      expect(bad[0]!.actualSha256).not.toBe(bad[0]!.expectedSha256);
      expect(
        r.objects
          .filter((o) => o.ok)
          .map((o) => o.kind)
          .sort(),
      ).toEqual(['manifest', 'raw']);
    });
  });
});
