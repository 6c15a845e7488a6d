// Slow and anonymous uploads are bounded: a slow-loris or stalled body is cut with 408 within
// the configured pace (not the 120 s request timeout), a 10 MB body at a normal pace still gets
// 200, and one address can hold only so many unauthenticated (HMAC, pre-signature) uploads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../lib/payload';
import { chunksOf, rawUpload } from './helpers/raw-upload';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { postHmac, samplePayload, sign } from './helpers/webhooks';

const GRACE_MS = 2000;
const IDLE_MS = 1500;
const RATE = 1024 * 1024; // bytes/s after the grace
const PER_IP = 3;

let stack: Stack;
let hmac: { url: string; secret: string };
let bearer: { url: string; secret: string };

beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: {
      BODY_GRACE_MS: String(GRACE_MS),
      BODY_IDLE_TIMEOUT_MS: String(IDLE_MS),
      BODY_MIN_BYTES_PER_SECOND: String(RATE),
      UNAUTHENTICATED_UPLOADS_PER_IP: String(PER_IP),
    },
  });
  const { adminKey } = await stack.newTenant();
  const api = adminClient(stack.baseUrl, adminKey);
  const h = await api.endpoints.create.mutate({ name: 'hmac', authMode: 'hmac' });
  const b = await api.endpoints.create.mutate({ name: 'bearer', authMode: 'bearer' });
  hmac = { url: h.endpoint.url, secret: h.secret };
  bearer = { url: b.endpoint.url, secret: b.secret };
});
afterAll(() => stack?.close());

const slowLoris = async (url: string, headers: Record<string, string> = {}) => {
  const up = await rawUpload(url, {
    'content-length': 100_000,
    'x-comma-signature': 'ab'.repeat(32),
    ...headers,
  });
  void up.send(chunksOf(Buffer.alloc(100_000, 'x'), 1), 200); // 5 bytes/s
  return up;
};

function tenMegabytes() {
  const base = JSON.stringify(samplePayload({ body: '' }));
  return Buffer.from(base.replace('"body":""', `"body":"${'x'.repeat(MAX_BODY_BYTES - base.length)}"`));
}

describe('slow bodies', () => {
  it('cuts a slow-loris body with 408 after the grace, then closes', async () => {
    const up = await slowLoris(hmac.url);
    const a = await up.answer;
    expect(a.status).toBe(408);
    expect(JSON.parse(a.body).error.code).toBe('request_timeout');
    expect(a.headers.connection).toBe('close');
    expect(a.answeredAfterMs).toBeGreaterThan(GRACE_MS - 100);
    expect(a.answeredAfterMs).toBeLessThan(GRACE_MS + 1500);
    // The drain after the answer is bounded by the same pace.
    expect((await up.closed) - a.answeredAfterMs).toBeLessThan(GRACE_MS + 1500);
  });

  it('cuts a body that stalls after a fast start once it has been idle too long', async () => {
    const up = await rawUpload(hmac.url, {
      'content-length': 5_000_000,
      'x-comma-signature': 'ab'.repeat(32),
    });
    await up.send([Buffer.alloc(3_000_000, 'x')], 0); // then nothing: the rate would allow 2 s + 3 s
    const a = await up.answer;
    expect(a.status).toBe(408);
    expect(JSON.parse(a.body).error.message).toMatch(/stalled/);
    expect(a.answeredAfterMs).toBeGreaterThan(IDLE_MS - 100);
    expect(a.answeredAfterMs).toBeLessThan(IDLE_MS + 1500);
  });

  it('accepts 10 MB sent at a normal pace (in chunks over ~2.5 s)', async () => {
    const body = tenMegabytes();
    const up = await rawUpload(hmac.url, {
      'content-length': body.length,
      'content-type': 'application/json',
      'x-comma-signature': sign(hmac.secret, body),
    });
    const started = performance.now();
    await up.send(chunksOf(body, 256 * 1024), 60);
    const a = await Promise.race([
      up.answer,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer')), 20_000)),
    ]).catch(async (e) => {
      up.destroy();
      throw e;
    });
    expect(performance.now() - started).toBeGreaterThan(2000); // it really was paced
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).status).toBe('accepted');
  });
});

describe('concurrent unauthenticated uploads per source IP', () => {
  it(`refuses the ${PER_IP + 1}th with 429 + Retry-After, not authenticated ones, and frees slots`, async () => {
    const held = await Promise.all(Array.from({ length: PER_IP }, () => slowLoris(hmac.url)));
    await new Promise((r) => setTimeout(r, 300)); // their handlers have taken their slots

    const extra = await postHmac(hmac.url, hmac.secret, samplePayload());
    expect(extra.status).toBe(429);
    expect(extra.headers.get('retry-after')).toBe('1');
    expect(((await extra.json()) as { error: { code: string } }).error.code).toBe('too_many_uploads');

    // Bearer is checked before the body: an authenticated upload is not anonymous.
    const res = await fetch(bearer.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer.secret}` },
      body: JSON.stringify(samplePayload()),
    });
    expect(res.status).toBe(200);

    for (const up of held) expect((await up.answer).status).toBe(408);
    // A slot is held until the body is in or drained (the drain after a 408 is paced too).
    await Promise.all(held.map((up) => up.closed));
    expect((await postHmac(hmac.url, hmac.secret, samplePayload())).status).toBe(200);
  });

  it('never refuses ordinary small HMAC sends, even 60 at once from one address', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async () => (await postHmac(hmac.url, hmac.secret, samplePayload())).status),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
