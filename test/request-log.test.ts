// The request log: every refusal recorded with its precise reason, masked headers, body size and
// hash; never a secret, an Authorization value or a body; bounded; writes off the hot path.
import { request } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { RequestLogWriter } from '../apps/server/request-log/writer';
import { openDatabase } from '../db/client';
import { requestLog } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { registry } from '../lib/metrics';
import { freePort } from './helpers/ports';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';
import { postBearer, postHmac, samplePayload, sign } from './helpers/webhooks';

let stack: Stack;
let api: ReturnType<typeof adminClient>;
let adminKey: string;
let hmac: { url: string; secret: string; id: string };
let bearer: { url: string; secret: string; id: string };
let walled: { url: string; secret: string; id: string };

beforeAll(async () => {
  stack = await startStack({ worker: false });
  const t = await stack.newTenant();
  adminKey = t.adminKey;
  api = adminClient(stack.baseUrl, t.adminKey);
  const h = await api.endpoints.create.mutate({ name: 'rl-hmac', authMode: 'hmac' });
  const b = await api.endpoints.create.mutate({ name: 'rl-bearer', authMode: 'bearer' });
  const w = await api.endpoints.create.mutate({
    name: 'rl-walled',
    authMode: 'bearer',
    ipAllowlist: ['203.0.113.0/24'],
  });
  hmac = { url: h.endpoint.url, secret: h.secret, id: h.endpoint.id };
  bearer = { url: b.endpoint.url, secret: b.secret, id: b.endpoint.id };
  walled = { url: w.endpoint.url, secret: w.secret, id: w.endpoint.id };
});
afterAll(() => stack?.close());

/** A declared 20 MB body, never sent: the server answers 413 from Content-Length alone. */
function declareHuge(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-length': String(20_000_000), ...headers },
    });
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('refusals in requests.list', () => {
  const wrongBearer = 'wrong-bearer-value-0123456789abcdef';
  let sigHeader: string;

  beforeAll(async () => {
    const valid = JSON.stringify(samplePayload());
    sigHeader = sign('not-the-secret', valid);
    const answers = await Promise.all([
      fetch(hmac.url, { method: 'POST', headers: { 'x-comma-signature': sigHeader }, body: valid }), // 401 mismatch
      fetch(hmac.url, { method: 'POST', body: valid }), // 401 missing
      postBearer(bearer.url, wrongBearer, samplePayload()), // 401 bearer mismatch
      postBearer(walled.url, walled.secret, samplePayload()), // 403 ip
      postHmac(hmac.url, hmac.secret, { external_id: 'x', body: 42 }), // 422
      declareHuge(bearer.url, { authorization: `Bearer ${bearer.secret}` }), // 413
      postHmac(hmac.url, hmac.secret, samplePayload()), // 200 (no worker: still acked)
    ]);
    const statuses = answers.map((a) => (typeof a === 'number' ? a : a.status));
    expect(statuses).toEqual([401, 401, 401, 403, 422, 413, 200]);
    await stack.deps.requestLog!.flush();
  });

  it('each refusal appears with its precise reason, masked headers, body size and SHA-256', async () => {
    const { items } = await api.requests.list.query({ limit: 100 });
    const by = (endpointId: string, reason: string | RegExp) =>
      items.find(
        (i) =>
          i.endpoint_id === endpointId &&
          (typeof reason === 'string' ? i.reason === reason : reason.test(i.reason)),
      );

    const mismatch = by(hmac.id, 'signature_mismatch');
    expect(mismatch).toMatchObject({
      status: 401,
      code: 'unauthorized',
      method: 'POST',
      source_ip: '127.0.0.1',
    });
    expect(mismatch!.headers['x-comma-signature']).toBe('[masked]');
    expect(mismatch!.body_bytes).toBeGreaterThan(0);
    expect(mismatch!.body_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(by(hmac.id, 'signature_missing')).toMatchObject({ status: 401 });

    const bearerMismatch = by(bearer.id, 'bearer_mismatch');
    expect(bearerMismatch).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(bearerMismatch!.headers.authorization).toBe('[masked]');
    expect(bearerMismatch!.headers['content-type']).toBe('application/json');

    expect(by(walled.id, 'ip_not_allowed 127.0.0.1')).toMatchObject({ status: 403, code: 'ip_not_allowed' });

    const invalid = by(hmac.id, /^validation_failed: /);
    expect(invalid).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(invalid!.reason).toContain('occurred_at');
    expect(invalid!.reason).toContain('body');
    const invalidBody = JSON.stringify({ external_id: 'x', body: 42 });
    expect(invalid!.body_sha256).toBe(sha256Hex(invalidBody));
    expect(invalid!.body_bytes).toBe(Buffer.byteLength(invalidBody));

    const tooLarge = items.find((i) => i.endpoint_id === bearer.id && i.status === 413);
    expect(tooLarge).toMatchObject({ code: 'payload_too_large', body_bytes: 20_000_000, body_sha256: null });

    const accepted = items.find((i) => i.endpoint_id === hmac.id && i.status === 200);
    expect(accepted).toMatchObject({ code: 'accepted', reason: 'accepted' });
    expect(accepted!.ack_ms).toBeGreaterThan(0);
  });

  it('filters by endpoint, status and code; paginates; another tenant sees nothing', async () => {
    const only401 = await api.requests.list.query({ endpointId: hmac.id, status: 401 });
    expect(only401.items.map((i) => i.reason).sort()).toEqual(['signature_mismatch', 'signature_missing']);
    const byCode = await api.requests.list.query({ code: 'ip_not_allowed' });
    expect(byCode.items).toHaveLength(1);
    const future = await api.requests.list.query({ from: new Date(Date.now() + 60_000).toISOString() });
    expect(future.items).toHaveLength(0);

    const first = await api.requests.list.query({ limit: 3 });
    expect(first.items).toHaveLength(3);
    const second = await api.requests.list.query({ limit: 100, cursor: first.next_cursor! });
    expect(second.items).toHaveLength(4);
    const ids = new Set([...first.items, ...second.items].map((i) => i.request_id));
    expect(ids.size).toBe(7);

    const other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    expect((await other.requests.list.query({})).items).toEqual([]);
    expect((await other.requests.list.query({ endpointId: hmac.id })).items).toEqual([]);
    expect((await trpcError(adminClient(stack.baseUrl, null).requests.list.query({}))).data?.code).toBe(
      'UNAUTHORIZED',
    );
    expect((await trpcError(api.requests.list.query({ cursor: 'nonsense' }))).data?.code).toBe('BAD_REQUEST');
  });

  it('no secret, Authorization value, signature or admin key appears anywhere in the raw table', async () => {
    const rows = await stack.database.db.execute(sql`select * from ${requestLog}`);
    const raw = JSON.stringify(rows);
    expect(raw.length).toBeGreaterThan(1000);
    for (const secret of [hmac.secret, bearer.secret, walled.secret, wrongBearer, sigHeader, adminKey]) {
      expect(raw).not.toContain(secret);
    }
    expect(raw).not.toContain(sign(hmac.secret, JSON.stringify({ external_id: 'x', body: 42 })));
    // No body either: not even the message text of the accepted one.
    expect(raw).not.toContain('message text');
  });

  it('scripts/admin requests list shows them, filters, and refuses bad options', async () => {
    const run = async (argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(argv, {
        stdout: (x) => {
          stdout += x;
        },
        stderr: (x) => {
          stderr += x;
        },
        env: { API_URL: stack.baseUrl, ADMIN_API_KEY: adminKey },
      });
      return { code, stdout, stderr };
    };
    const human = await run(['requests', 'list', '--endpoint', hmac.id, '--status', '401']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^AT\s+STATUS\s+CODE\s+REASON/);
    expect(human.stdout).toContain('signature_mismatch');
    expect(human.stdout).toContain('signature_missing');
    expect(human.stdout).not.toContain('validation_failed');
    const json = await run(['requests', 'list', '--code', 'ip_not_allowed', '--json']);
    expect(JSON.parse(json.stdout).items).toHaveLength(1);
    const bad = await run(['requests', 'list', '--status', 'four']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status');
    for (const out of [human.stdout, json.stdout]) expect(out).not.toContain(hmac.secret);
  });

  it('an unknown token is recorded without a tenant (listed to no one)', async () => {
    const res = await postBearer(
      `${stack.baseUrl}/webhooks/incoming/in/${'A'.repeat(43)}`,
      'x',
      samplePayload(),
    );
    expect(res.status).toBe(404);
    await stack.deps.requestLog!.flush();
    const rows = await stack.database.db.execute(
      sql`select tenant_id, reason from ${requestLog} where code = 'endpoint_not_found'`,
    );
    expect([...(rows as unknown as Record<string, unknown>[])]).toContainEqual({
      tenant_id: null,
      reason: 'token_unknown',
    });
  });
});

describe('bounded, off the hot path', () => {
  it('prunes by age and by row count', async () => {
    const pg = await startStack({ db: 'pglite', worker: false });
    try {
      const writer = new RequestLogWriter(pg.database.db, { retentionDays: 7, maxRows: 5, bufferSize: 100 });
      const entry = (at: Date, i: number) => ({
        at,
        requestId: `r${i}`,
        method: 'POST',
        status: 401,
        code: 'unauthorized',
        reason: 'signature_mismatch',
        headers: {},
        ackMs: 1,
      });
      const old = new Date(Date.now() - 8 * 86_400_000);
      for (let i = 0; i < 3; i++) writer.record(entry(old, i));
      for (let i = 3; i < 12; i++) writer.record(entry(new Date(), i));
      await writer.flush();
      await writer.prune();
      const left = await pg.database.db.select({ requestId: requestLog.requestId }).from(requestLog);
      expect(left.map((r) => r.requestId).sort()).toEqual(['r10', 'r11', 'r7', 'r8', 'r9']);
      await writer.close();
    } finally {
      await pg.close();
    }
  });

  it('a database outage never blocks record(); the oldest entries are dropped and counted', async () => {
    const dead = openDatabase({
      url: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`,
      maxConnections: 1,
    });
    const errors: string[] = [];
    const writer = new RequestLogWriter(dead.db, {
      retentionDays: 1,
      maxRows: 1000,
      bufferSize: 10,
      flushIntervalMs: 60_000,
      onError: (_e, what) => errors.push(what),
    });
    const metric = async () =>
      (await registry.getSingleMetric('webhook_archive_request_log_dropped_total')!.get()).values[0]?.value ??
      0;
    const before = await metric();
    const t = performance.now();
    for (let i = 0; i < 25; i++)
      writer.record({
        at: new Date(),
        requestId: `d${i}`,
        method: 'POST',
        status: 429,
        code: 'rate_limited',
        reason: 'rate_limited',
        headers: {},
        ackMs: 1,
      });
    expect(performance.now() - t).toBeLessThan(50);
    expect(writer.dropped).toBe(15);
    await writer.flush(); // fails: the batch goes back, still bounded
    expect(errors).toEqual(['flush']);
    expect(writer.dropped).toBe(15);
    expect((await metric()) - before).toBe(15);
    await writer.close();
    await dead.close();
  });
});
