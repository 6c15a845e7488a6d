// Guessing admin keys: failures per source address are throttled (429 + Retry-After) on /trpc
// and the downloads, a correct key is never locked out, and throttled bursts are audited with
// counts only (never a key, never a key's hash).
import { randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';

const BURST = 5;
const PER_MINUTE = 60; // 1/s: the burst refills in 5 s, so its end is seen within the test
let stack: Stack;
let adminKey: string;
const wrongKeys: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: { ADMIN_AUTH_FAILURE_BURST: String(BURST), ADMIN_AUTH_FAILURES_PER_MINUTE: String(PER_MINUTE) },
  });
  ({ adminKey } = await stack.newTenant());
});
afterAll(() => stack?.close());

const list = (key: string | null) =>
  fetch(`${stack.baseUrl}/trpc/endpoints.list`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
const download = (key: string) =>
  fetch(`${stack.baseUrl}/api/messages/${randomUUID()}/raw`, { headers: { authorization: `Bearer ${key}` } });

async function burst(n: number, concurrency: number, send: (key: string) => Promise<Response>) {
  const statuses: number[] = [];
  const retryAfter: (string | null)[] = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < n) {
        i++;
        const key = `wrong-${randomUUID()}`;
        wrongKeys.push(key);
        const res = await send(key);
        await res.arrayBuffer();
        statuses.push(res.status);
        if (res.status === 429) retryAfter.push(res.headers.get('retry-after'));
      }
    }),
  );
  return { statuses, retryAfter };
}

const systemAudit = () =>
  stack.database.db
    .select()
    .from(auditLog)
    .where(and(isNull(auditLog.tenantId), eq(auditLog.targetType, 'source_address')));

describe('failed admin keys', () => {
  it('a missing key is not a guess: never throttled', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 3 * BURST }, async () => (await list(null)).status),
    );
    expect(new Set(statuses)).toEqual(new Set([401]));
  });

  it('beyond the burst, wrong keys get 429 + Retry-After; a correct key still works meanwhile', async () => {
    const started = performance.now();
    const { statuses, retryAfter } = await burst(400, 20, list);
    const seconds = (performance.now() - started) / 1000;
    const refused401 = statuses.filter((s) => s === 401).length;
    expect(refused401).toBeGreaterThanOrEqual(BURST);
    expect(refused401).toBeLessThanOrEqual(BURST + Math.ceil(seconds * (PER_MINUTE / 60)) + 1);
    expect(statuses.filter((s) => s === 429).length).toBe(400 - refused401);
    for (const r of retryAfter) expect(Number(r)).toBeGreaterThanOrEqual(1);

    // While throttled (a 429 just now), the correct key is not locked out.
    let res = await list('wrong-again');
    for (let i = 0; i < 50 && res.status !== 429; i++) res = await list('wrong-again');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const correct = list(adminKey);
    expect(JSON.stringify(await res.json())).toMatch(/TOO_MANY_REQUESTS/);
    expect((await correct).status).toBe(200);
    expect(await adminClient(stack.baseUrl, adminKey).endpoints.list.query()).toEqual([]);
  });

  it('throttles the downloads too, and lets the correct key through', async () => {
    let res = await download('wrong-download');
    for (let i = 0; i < 50 && res.status !== 429; i++) res = await download('wrong-download');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_failed_attempts');
    const ok = await download(adminKey);
    expect(ok.status).toBe(404); // authenticated; the (random) message simply does not exist
    expect(((await ok.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('audits the burst when throttling starts and when it is over, without any key material', async () => {
    await expect
      .poll(async () => (await systemAudit()).map((e) => e.action), { timeout: 20_000 })
      .toContain('admin_auth.failure_burst');
    const entries = await systemAudit();
    const started = entries.filter((e) => e.action === 'admin_auth.throttled');
    const ended = entries.filter((e) => e.action === 'admin_auth.failure_burst');
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started[0]!).toMatchObject({ actor: 'system', targetId: '127.0.0.1' });
    const total = ended.reduce((n, e) => n + Number(e.details.failures), 0);
    expect(total).toBeGreaterThanOrEqual(400);
    expect(ended[0]!.details).toMatchObject({ budget: { burst: BURST, perMinute: PER_MINUTE } });
    expect(Number(ended[0]!.details.refused)).toBeGreaterThan(0);

    const everything = JSON.stringify(entries) + stack.logs.join('');
    for (const key of [...wrongKeys.slice(0, 50), adminKey]) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(sha256Hex(key));
    }
    expect(stack.logs.join('')).toMatch(/admin key failures throttled/);
  });
});
