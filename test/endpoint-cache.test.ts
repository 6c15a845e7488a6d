// The ingest path caches endpoints (apps/server/ingest/endpoint-cache.ts); every change an admin
// makes must still take effect at once on every instance. Two server instances on one database:
// both have the endpoint cached (each has acknowledged a message), then A's admin API changes it
// and B is asked at once.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints, tenants } from '../db/schema';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, type ErrorBody, postBearer, postHmac, samplePayload } from './helpers/webhooks';

let a: Stack;
let b: Stack;
let api: ReturnType<typeof adminClient>;
let tenantId: string;

beforeAll(async () => {
  a = await startStack();
  b = await startStack({ worker: false, masterKey: a.masterKey });
  const t = await a.newTenant();
  tenantId = t.tenantId;
  api = adminClient(a.baseUrl, t.adminKey);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** The endpoint's URL on each instance. */
const on = (stack: Stack, url: string) => url.replace(a.baseUrl, stack.baseUrl);

async function answer(res: Response): Promise<{ status: number; code: string }> {
  const json = (await res.json()) as Ack & ErrorBody;
  return { status: res.status, code: res.status === 200 ? json.status : json.error.code };
}

/** Both instances acknowledge a message: the endpoint (and its opened secret) is cached on each. */
async function warm(url: string, send: (url: string, body: unknown) => Promise<Response>) {
  for (const stack of [a, b])
    expect(await answer(await send(on(stack, url), samplePayload()))).toEqual({
      status: 200,
      code: 'accepted',
    });
}

describe('endpoint changes take effect at once on two instances', () => {
  it('secret rotation (Bearer): the old secret is refused and the new one accepted, on both', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({
      name: 'rot-bearer',
      authMode: 'bearer',
    });
    await warm(endpoint.url, (u, body) => postBearer(u, secret, body));
    const { secret: next } = await api.endpoints.rotateSecret.mutate({ id: endpoint.id });
    for (const stack of [b, a]) {
      const url = on(stack, endpoint.url);
      expect(await answer(await postBearer(url, secret, samplePayload()))).toMatchObject({ status: 401 });
      expect(await answer(await postBearer(url, next, samplePayload()))).toEqual({
        status: 200,
        code: 'accepted',
      });
    }
  });

  it('secret rotation (HMAC): a body signed with the old secret is refused, on both', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'rot-hmac', authMode: 'hmac' });
    await warm(endpoint.url, (u, body) => postHmac(u, secret, body));
    const { secret: next } = await api.endpoints.rotateSecret.mutate({ id: endpoint.id });
    for (const stack of [b, a]) {
      const url = on(stack, endpoint.url);
      expect(await answer(await postHmac(url, secret, samplePayload()))).toMatchObject({ status: 401 });
      expect(await answer(await postHmac(url, next, samplePayload()))).toEqual({
        status: 200,
        code: 'accepted',
      });
    }
  });

  it('disable refuses at once, a duplicate included; enabling again accepts at once', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'disable', authMode: 'bearer' });
    const p = samplePayload();
    expect(await answer(await postBearer(on(a, endpoint.url), secret, p))).toEqual({
      status: 200,
      code: 'accepted',
    });
    await warm(endpoint.url, (u, body) => postBearer(u, secret, body));
    await api.endpoints.update.mutate({ id: endpoint.id, enabled: false });
    for (const stack of [b, a]) {
      const url = on(stack, endpoint.url);
      expect(await answer(await postBearer(url, secret, samplePayload()))).toEqual({
        status: 403,
        code: 'endpoint_disabled',
      });
      // A resend of a message acknowledged before: refused too, not a 200 duplicate.
      expect(await answer(await postBearer(url, secret, p))).toEqual({
        status: 403,
        code: 'endpoint_disabled',
      });
    }
    await api.endpoints.update.mutate({ id: endpoint.id, enabled: true });
    for (const stack of [b, a])
      expect(await answer(await postBearer(on(stack, endpoint.url), secret, samplePayload()))).toEqual({
        status: 200,
        code: 'accepted',
      });
  });

  it('an IP allowlist applies at once, and lifting it too', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'allow', authMode: 'bearer' });
    await warm(endpoint.url, (u, body) => postBearer(u, secret, body));
    await api.endpoints.update.mutate({ id: endpoint.id, ipAllowlist: ['203.0.113.0/24'] });
    for (const stack of [b, a])
      expect(await answer(await postBearer(on(stack, endpoint.url), secret, samplePayload()))).toEqual({
        status: 403,
        code: 'ip_not_allowed',
      });
    await api.endpoints.update.mutate({ id: endpoint.id, ipAllowlist: [] });
    for (const stack of [b, a])
      expect(await answer(await postBearer(on(stack, endpoint.url), secret, samplePayload()))).toEqual({
        status: 200,
        code: 'accepted',
      });
  });

  it('delete: the URL stops resolving at once', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'delete', authMode: 'bearer' });
    await warm(endpoint.url, (u, body) => postBearer(u, secret, body));
    await api.endpoints.delete.mutate({ id: endpoint.id });
    for (const stack of [b, a])
      expect(await answer(await postBearer(on(stack, endpoint.url), secret, samplePayload()))).toEqual({
        status: 404,
        code: 'endpoint_not_found',
      });
  });

  it('every change to an endpoint, or to its tenant retention, bumps its revision', async () => {
    const { endpoint } = await api.endpoints.create.mutate({ name: 'revision', authMode: 'bearer' });
    const revision = async () =>
      (await a.database.db.select().from(endpoints).where(eq(endpoints.id, endpoint.id)))[0]!.revision;
    const r0 = await revision();
    await api.endpoints.update.mutate({ id: endpoint.id, name: 'renamed' });
    const r1 = await revision();
    expect(r1).toBeGreaterThan(r0);
    // Even an update outside the admin API (an operator's SQL) makes cached copies stale.
    await a.database.db.update(endpoints).set({ rateLimitBurst: 7 }).where(eq(endpoints.id, endpoint.id));
    const r2 = await revision();
    expect(r2).toBeGreaterThan(r1);
    await a.database.db.update(tenants).set({ retentionDays: 4000 }).where(eq(tenants.id, tenantId));
    expect(await revision()).toBeGreaterThan(r2);
  });
});

describe('on PGlite (one instance)', () => {
  let lite: Stack;
  beforeAll(async () => {
    lite = await startStack({ db: 'pglite' });
  });
  afterAll(async () => {
    await lite?.close();
  });

  it('rotation and disable take effect at once', async () => {
    const t = await lite.newTenant();
    const liteApi = adminClient(lite.baseUrl, t.adminKey);
    const { endpoint, secret } = await liteApi.endpoints.create.mutate({ name: 'lite', authMode: 'hmac' });
    expect(await answer(await postHmac(endpoint.url, secret, samplePayload()))).toEqual({
      status: 200,
      code: 'accepted',
    });
    const { secret: next } = await liteApi.endpoints.rotateSecret.mutate({ id: endpoint.id });
    expect(await answer(await postHmac(endpoint.url, secret, samplePayload()))).toMatchObject({
      status: 401,
    });
    expect(await answer(await postHmac(endpoint.url, next, samplePayload()))).toEqual({
      status: 200,
      code: 'accepted',
    });
    await liteApi.endpoints.update.mutate({ id: endpoint.id, enabled: false });
    expect(await answer(await postHmac(endpoint.url, next, samplePayload()))).toEqual({
      status: 403,
      code: 'endpoint_disabled',
    });
  });
});
