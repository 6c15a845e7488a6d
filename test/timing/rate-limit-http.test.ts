// Rate limiting through the real HTTP path. Bodies are deliberately invalid ({}): the limiter
// runs before parsing, so each admitted request answers 422 and never loads Temporal, while
// a limited one answers 429. That keeps these timing tests independent of the rest of the suite.
import { randomUUID } from 'node:crypto';
import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack';
import { adminClient } from '../helpers/trpc-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Shot {
  status: number;
  ms: number;
  retryAfter: string | null;
}

async function shoot(url: string, secret: string): Promise<Shot> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}` },
    body: '{}',
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0, retryAfter: res.headers.get('retry-after') };
}

/** Open-loop: fires at a fixed rate regardless of answers, like independent producers. */
async function fireAt(url: string, secret: string, perSecond: number, seconds: number): Promise<Shot[]> {
  const shots: Promise<Shot>[] = [];
  const t0 = performance.now();
  const n = Math.round(perSecond * seconds);
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    shots.push(shoot(url, secret));
  }
  return Promise.all(shots);
}

const count = (shots: Shot[], status: number) => shots.filter((s) => s.status === status).length;
const p50 = (shots: Shot[]) => shots.map((s) => s.ms).sort((a, b) => a - b)[Math.floor(shots.length / 2)]!;

describe('per-endpoint rate limiting (in-process limiter)', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    api = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
  });
  afterAll(() => stack?.close());

  it('a steady 100/s (the default) for 3 s gets no 429', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'steady', authMode: 'bearer' });
    expect(endpoint.rateLimit).toEqual({ perSecond: 100, burst: 200 });
    const shots = await fireAt(endpoint.url, secret, 100, 3);
    expect(count(shots, 429)).toBe(0);
    expect(count(shots, 422)).toBe(300);
  });

  it('a burst of 2x the capacity arriving at once is admitted after queueing, none rejected', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({
      name: 'burst',
      authMode: 'bearer',
      rateLimitPerSecond: 20,
      rateLimitBurst: 10,
    });
    const shots = await Promise.all(Array.from({ length: 20 }, () => shoot(endpoint.url, secret)));
    expect(count(shots, 429)).toBe(0);
    const slowest = Math.max(...shots.map((s) => s.ms));
    expect(slowest).toBeGreaterThan(300); // the last ten waited for refill (10 tokens at 20/s)
    const stats = await api.endpoints.get.query({ id: endpoint.id });
    expect(stats.ingest).toMatchObject({ admitted: 20, rejected: 0 });
    expect(stats.ingest.queued).toBeGreaterThanOrEqual(8);
  });

  it('sustained 3x the limit: about the limit is admitted, the rest get 429 with Retry-After', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({
      name: 'sustained',
      authMode: 'bearer',
      rateLimitPerSecond: 20,
      rateLimitBurst: 20,
    });
    const shots = await fireAt(endpoint.url, secret, 60, 4);
    const admitted = count(shots, 422);
    // The bucket admits its burst (20), then 20/s for the 4 s, plus what was still queued when
    // sending stopped (at most RATE_LIMIT_MAX_WAIT_MS = 2 s of refill): 100..140, ±10%.
    expect(admitted).toBeGreaterThan(90);
    expect(admitted).toBeLessThan(155);
    const limited = shots.filter((s) => s.status === 429);
    expect(limited.length).toBe(shots.length - admitted);
    for (const s of limited) expect(Number(s.retryAfter)).toBeGreaterThanOrEqual(1);
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      body: '{}',
    });
    if (res.status === 429)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const stats = await api.endpoints.get.query({ id: endpoint.id });
    expect(stats.ingest.rejected).toBeGreaterThanOrEqual(limited.length);
  });

  // Retried: on this 2-core box B's p50 in the loud window occasionally lands on a stall (tens to
  // hundreds of ms) that is not A's doing: it happens with the relay off and without Temporal too,
  // and was seen on the pre-tranche code when run alone. Each attempt asserts the full bound; a real
  // cross-endpoint slowdown fails them all. Cause under investigation (see the issue note).
  it("one endpoint's flood neither limits nor slows another", { retry: 3 }, async () => {
    const a = await api.endpoints.create.mutate({
      name: 'A',
      authMode: 'bearer',
      rateLimitPerSecond: 20,
      rateLimitBurst: 5,
    });
    const b = await api.endpoints.create.mutate({ name: 'B', authMode: 'bearer' });
    const quiet = await fireAt(b.endpoint.url, b.secret, 50, 2);
    const [flood, loud] = await Promise.all([
      fireAt(a.endpoint.url, a.secret, 200, 2),
      fireAt(b.endpoint.url, b.secret, 50, 2),
    ]);
    expect(count(flood, 429)).toBeGreaterThan(100);
    expect(count(loud, 429)).toBe(0);
    // B's typical latency stays within noise of its quiet baseline (same run).
    expect(p50(loud)).toBeLessThan(p50(quiet) * 3 + 15);
  });

  it('rejects a rate limit out of range with BAD_REQUEST', async () => {
    await expect(
      api.endpoints.create.mutate({ name: 'bad', authMode: 'bearer', rateLimitPerSecond: 0 }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });
});

/** A TCP relay to the machine's Redis that the test can cut, to stop "Redis" mid-test. */
async function redisRelay(): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = new NetSocket();
    upstream.connect(6379, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('shared through Redis across server instances', () => {
  it("two servers share one endpoint's budget, and ingest keeps working when Redis goes away", async () => {
    const relay = await redisRelay();
    // A generous Redis timeout: this test is about sharing, not about the fallback on a slow Redis.
    const env = { REDIS_URL: relay.url, RATE_LIMIT_REDIS_TIMEOUT_MS: '1000' };
    const one = await startStack({ worker: false, env });
    const two = await startStack({ worker: false, env, masterKey: one.masterKey });
    try {
      const api = adminClient(one.baseUrl, (await one.newTenant()).adminKey);
      const { endpoint, secret } = await api.endpoints.create.mutate({
        name: `shared-${randomUUID().slice(0, 6)}`,
        authMode: 'bearer',
        rateLimitPerSecond: 20,
        rateLimitBurst: 10,
      });
      const urlTwo = endpoint.url.replace(one.baseUrl, two.baseUrl);
      // 40/s at each server: 80/s offered against 20/s shared.
      const [a, b] = await Promise.all([fireAt(endpoint.url, secret, 40, 3), fireAt(urlTwo, secret, 40, 3)]);
      const admitted = count(a, 422) + count(b, 422);
      // Shared: burst 10 + 3 s × 20/s + up to 2 s of queue = 70..110. Two independent limiters
      // would admit about twice that.
      expect(admitted).toBeGreaterThan(60);
      expect(admitted).toBeLessThan(125);
      const stats = await api.endpoints.get.query({ id: endpoint.id });
      expect(stats.ingest.admitted).toBe(admitted);

      relay.cut();
      const after = await fireAt(endpoint.url, secret, 10, 1);
      expect(count(after, 422)).toBe(after.length); // local fallback: admitted, no 5xx
      expect(one.logs.join('')).toMatch(/redis/i);
    } finally {
      await one.close();
      await two.close();
      await relay.close();
    }
  }, 30_000);
});
