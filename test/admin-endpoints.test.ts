// Endpoint administration over the real tRPC admin API (typed client over HTTP, plus raw fetch
// where the HTTP status matters), checked against real ingest requests and the real database,
// on both database kinds. Invariants: 5 (secrets stay secret), 6 (tenants isolated),
// 7 (bad input gets a clear 4xx and changes nothing).
import { createHmac, randomUUID } from 'node:crypto';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthMode, adminKeys, auditLog, endpoints, messages } from '../db/schema';
import { randomToken, sha256Hex } from '../lib/crypto';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';

type AdminApi = ReturnType<typeof adminClient>;

interface TestTenant {
  tenantId: string;
  adminKey: string;
  adminKeyId: string;
  api: AdminApi;
}

interface RawResponse {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON from the wire, inspected by the assertions
  json: any;
}

const SECRET_KEYS = ['secret', 'secretSealed', 'tokenSealed', 'tokenHash', 'secret_sealed', 'token_sealed'];

/** Every key name anywhere in a JSON value. */
function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysDeep(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysDeep(v, out);
    }
  }
  return out;
}

/** Every value stored under `key` anywhere in a JSON value. */
function valuesForKey(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) valuesForKey(v, key, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      valuesForKey(v, key, out);
    }
  }
  return out;
}

function expectNoSecretKeys(value: unknown) {
  const keys = keysDeep(value);
  for (const k of SECRET_KEYS) expect(keys.has(k), `response has a "${k}" key`).toBe(false);
}

/** An error body must carry no stack trace, in any form. */
function expectNoStackTrace(res: RawResponse) {
  expect(res.text).not.toMatch(/\\n\s+at\s/);
  expect(res.text).not.toMatch(/\bat\s+\S+\s+\([^)]*:\d+:\d+\)/);
  expect(res.text).not.toMatch(/(file:\/\/|node:internal|\.[cm]?[jt]s:\d+:\d+)/);
  const stacks = valuesForKey(res.json, 'stack').filter((s) => s !== undefined && s !== null && s !== '');
  expect(stacks).toEqual([]);
}

function tokenOf(url: string): string {
  const token = new URL(url).pathname.split('/').at(-1);
  if (!token) throw new Error(`no token in ${url}`);
  return token;
}

async function expectTrpcCode(call: Promise<unknown>, code: string, httpStatus: number) {
  const err = await trpcError(call);
  expect(err.data?.code).toBe(code);
  expect(err.data?.httpStatus).toBe(httpStatus);
  expect(err.data).not.toHaveProperty('stack');
}

const PROCEDURES = {
  'endpoints.create': 'mutation',
  'endpoints.list': 'query',
  'endpoints.get': 'query',
  'endpoints.update': 'mutation',
  'endpoints.rotateSecret': 'mutation',
  'endpoints.delete': 'mutation',
  'messages.get': 'query',
  'messages.list': 'query',
} as const;
type ProcedurePath = keyof typeof PROCEDURES;

describe.each(['postgres', 'pglite'] as const)('admin API on %s', (dbKind) => {
  let stack: Stack;
  let tenantA: TestTenant;
  let tenantB: TestTenant;
  /** Every secret, token and admin key seen in clear during this run: none may leak. */
  const sensitive = new Set<string>();
  /** endpoint id → its URL token. */
  const tokens = new Map<string, string>();

  async function newTenant(): Promise<TestTenant> {
    const { tenantId, adminKey } = await stack.newTenant();
    const [key] = await stack.database.db
      .select({ id: adminKeys.id, tenantId: adminKeys.tenantId })
      .from(adminKeys)
      .where(eq(adminKeys.keyHash, sha256Hex(adminKey)));
    expect(key?.tenantId).toBe(tenantId);
    sensitive.add(adminKey);
    return { tenantId, adminKey, adminKeyId: key!.id, api: adminClient(stack.baseUrl, adminKey) };
  }

  async function createEndpoint(
    t: TestTenant,
    input: { name: string; authMode: AuthMode; ipAllowlist?: string[] },
  ) {
    const created = await t.api.endpoints.create.mutate(input);
    const token = tokenOf(created.endpoint.url);
    tokens.set(created.endpoint.id, token);
    sensitive.add(token);
    sensitive.add(created.secret);
    return { ...created, token };
  }

  async function rotate(t: TestTenant, id: string) {
    const rotated = await t.api.endpoints.rotateSecret.mutate({ id });
    sensitive.add(rotated.secret);
    return rotated;
  }

  /** A real producer request: POST a valid payload, authenticated the endpoint's way. */
  async function ingest(
    url: string,
    auth: { bearer?: string; hmacSecret?: string },
    externalId: string = randomUUID(),
  ): Promise<RawResponse> {
    const body = JSON.stringify({
      external_id: externalId,
      occurred_at: '2026-05-28T14:30:00Z',
      from: { identifier: 'a@x' },
      to: [],
      body: 'x',
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth.bearer !== undefined) headers.authorization = `Bearer ${auth.bearer}`;
    if (auth.hmacSecret !== undefined)
      headers['x-comma-signature'] = createHmac('sha256', auth.hmacSecret)
        .update(Buffer.from(body, 'utf8'))
        .digest('hex');
    const res = await fetch(url, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : null };
  }

  /** A tRPC call over plain fetch, as any HTTP client would make it, to see the raw status. */
  async function rawTrpc(
    path: ProcedurePath,
    input: unknown,
    headers: Record<string, string> = {},
    rawBody?: string,
  ): Promise<RawResponse> {
    const url = new URL(`${stack.baseUrl}/trpc/${path}`);
    let res: Response;
    if (PROCEDURES[path] === 'query') {
      if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
      res = await fetch(url, { headers });
    } else {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: rawBody ?? (input === undefined ? undefined : JSON.stringify(input)),
      });
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // left null: the assertions on `json` will say so
    }
    return { status: res.status, text, json };
  }

  async function endpointRow(id: string) {
    const [row] = await stack.database.db.select().from(endpoints).where(eq(endpoints.id, id));
    return row;
  }

  async function auditFor(targetId: string) {
    return stack.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, targetId))
      .orderBy(asc(auditLog.id));
  }

  beforeAll(async () => {
    stack = await startStack({ db: dbKind });
    tenantA = await newTenant();
    tenantB = await newTenant();
  });
  afterAll(() => stack?.close());

  it.each(['bearer', 'hmac'] as const)('runs the %s endpoint lifecycle end to end', async (authMode) => {
    const api = tenantA.api;
    const name = `lifecycle ${authMode} ${randomUUID().slice(0, 6)}`;
    const created = await createEndpoint(tenantA, { name, authMode });
    const { endpoint, secret, token } = created;

    // create: the URL, a 256-bit token, and the secret, shown this once
    expect(endpoint.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(endpoint).toMatchObject({ name, authMode, enabled: true, ipAllowlist: [] });
    expect(endpoint.url).toBe(`${stack.baseUrl}/webhooks/incoming/in/${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(typeof secret).toBe('string');
    expect(secret.length).toBeGreaterThanOrEqual(43);
    expect(secret).not.toBe(token);
    expectNoSecretKeys(endpoint);

    // list contains it
    const listed = await api.endpoints.list.query();
    const inList = listed.find((e) => e.id === endpoint.id);
    expect(inList).toEqual(endpoint);
    expectNoSecretKeys(listed);
    expect(JSON.stringify(listed)).not.toContain(secret);

    // get returns it, and nothing secret
    const { ingest: counters, ...got } = await api.endpoints.get.query({ id: endpoint.id });
    expect(got).toEqual(endpoint);
    // get adds the rate limiter's counters; nothing has been sent yet.
    expect(counters).toEqual({ admitted: 0, queued: 0, rejected: 0, aborted: 0 });
    expectNoSecretKeys(got);
    expect(JSON.stringify(got)).not.toContain(secret);
    const rawGet = await rawTrpc(
      'endpoints.get',
      { id: endpoint.id },
      {
        authorization: `Bearer ${tenantA.adminKey}`,
      },
    );
    expect(rawGet.status).toBe(200);
    expectNoSecretKeys(rawGet.json);
    expect(rawGet.text).not.toContain(secret);

    // the secret works before anything changes
    const auth = authMode === 'bearer' ? { bearer: secret } : { hmacSecret: secret };
    expect((await ingest(endpoint.url, auth)).status).toBe(200);

    // update name and allowlist (normalised); the allowlist takes effect on ingest
    const renamed = await api.endpoints.update.mutate({
      id: endpoint.id,
      name: `  ${name} renamed  `,
      ipAllowlist: ['10.1.2.3/8', '192.168.1.5'],
    });
    expect(renamed).toMatchObject({
      id: endpoint.id,
      name: `${name} renamed`,
      ipAllowlist: ['10.0.0.0/8', '192.168.1.5/32'],
      enabled: true,
      url: endpoint.url,
    });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(endpoint.updatedAt));
    expectNoSecretKeys(renamed);
    const { ingest: _counters, ...afterRename } = await api.endpoints.get.query({ id: endpoint.id });
    expect(afterRename).toEqual(renamed);
    expect((await endpointRow(endpoint.id))?.ipAllowlist).toEqual(['10.0.0.0/8', '192.168.1.5/32']);
    const blocked = await ingest(endpoint.url, auth);
    expect(blocked.status).toBe(403);
    expect(blocked.json.error.code).toBe('ip_not_allowed');
    const opened = await api.endpoints.update.mutate({ id: endpoint.id, ipAllowlist: ['127.0.0.1'] });
    expect(opened.ipAllowlist).toEqual(['127.0.0.1/32']);
    expect((await ingest(endpoint.url, auth)).status).toBe(200);

    // rotate: a different secret, same URL
    const rotated = await rotate(tenantA, endpoint.id);
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.secret.length).toBeGreaterThanOrEqual(43);
    expect(rotated.endpoint.url).toBe(endpoint.url);
    expect(Date.parse(rotated.endpoint.secretRotatedAt)).toBeGreaterThanOrEqual(
      Date.parse(endpoint.secretRotatedAt),
    );
    expectNoSecretKeys(rotated.endpoint);
    expectNoSecretKeys(await api.endpoints.get.query({ id: endpoint.id }));

    // disable: still listed, shown disabled
    const disabled = await api.endpoints.update.mutate({ id: endpoint.id, enabled: false });
    expect(disabled.enabled).toBe(false);
    expect((await api.endpoints.get.query({ id: endpoint.id })).enabled).toBe(false);
    expect((await api.endpoints.list.query()).find((e) => e.id === endpoint.id)?.enabled).toBe(false);

    // delete: gone for every procedure, and from the list
    expect(await api.endpoints.delete.mutate({ id: endpoint.id })).toEqual({
      id: endpoint.id,
      deleted: true,
    });
    await expectTrpcCode(api.endpoints.get.query({ id: endpoint.id }), 'NOT_FOUND', 404);
    await expectTrpcCode(api.endpoints.update.mutate({ id: endpoint.id, name: 'zombie' }), 'NOT_FOUND', 404);
    await expectTrpcCode(api.endpoints.rotateSecret.mutate({ id: endpoint.id }), 'NOT_FOUND', 404);
    await expectTrpcCode(api.endpoints.delete.mutate({ id: endpoint.id }), 'NOT_FOUND', 404);
    expect((await api.endpoints.list.query()).map((e) => e.id)).not.toContain(endpoint.id);
    // soft delete: the row (and so the message records pointing at it) stays
    expect((await endpointRow(endpoint.id))?.deletedAt).toBeInstanceOf(Date);
  });

  it('rotation invalidates the old bearer secret at once, on real ingest requests', async () => {
    const { endpoint, secret: oldSecret } = await createEndpoint(tenantA, {
      name: 'rotate bearer',
      authMode: 'bearer',
    });
    const first = await ingest(endpoint.url, { bearer: oldSecret });
    expect(first.status).toBe(200);
    expect(first.json.status).toBe('accepted');

    const { secret: newSecret } = await rotate(tenantA, endpoint.id);
    expect(newSecret).not.toBe(oldSecret);

    const stale = await ingest(endpoint.url, { bearer: oldSecret });
    expect(stale.status).toBe(401);
    expect(stale.json.error.code).toBe('unauthorized');
    expectNoStackTrace(stale);
    const fresh = await ingest(endpoint.url, { bearer: newSecret });
    expect(fresh.status).toBe(200);
    expect(fresh.json.status).toBe('accepted');
    // and the old one stays dead
    expect((await ingest(endpoint.url, { bearer: oldSecret })).status).toBe(401);
    expect((await ingest(endpoint.url, {})).status).toBe(401);
    // a bearer endpoint does not accept an HMAC signature instead
    expect((await ingest(endpoint.url, { hmacSecret: newSecret })).status).toBe(401);
  });

  it('rotation invalidates the old HMAC secret at once, on real ingest requests', async () => {
    const { endpoint, secret: oldSecret } = await createEndpoint(tenantA, {
      name: 'rotate hmac',
      authMode: 'hmac',
    });
    expect((await ingest(endpoint.url, { hmacSecret: oldSecret })).status).toBe(200);

    const { secret: newSecret } = await rotate(tenantA, endpoint.id);
    expect(newSecret).not.toBe(oldSecret);

    const stale = await ingest(endpoint.url, { hmacSecret: oldSecret });
    expect(stale.status).toBe(401);
    expect(stale.json.error.code).toBe('unauthorized');
    expectNoStackTrace(stale);
    const fresh = await ingest(endpoint.url, { hmacSecret: newSecret });
    expect(fresh.status).toBe(200);
    expect(fresh.json.status).toBe('accepted');
    expect((await ingest(endpoint.url, { hmacSecret: oldSecret })).status).toBe(401);
    // no signature, or the secret sent as a bearer token, is not enough
    expect((await ingest(endpoint.url, {})).status).toBe(401);
    expect((await ingest(endpoint.url, { bearer: newSecret })).status).toBe(401);
  });

  it('a disabled endpoint answers 403 endpoint_disabled, a deleted one 404', async () => {
    const { endpoint, secret } = await createEndpoint(tenantA, { name: 'disable me', authMode: 'bearer' });
    expect((await ingest(endpoint.url, { bearer: secret })).status).toBe(200);

    await tenantA.api.endpoints.update.mutate({ id: endpoint.id, enabled: false });
    const refused = await ingest(endpoint.url, { bearer: secret });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('endpoint_disabled');
    expectNoStackTrace(refused);

    // enabling again restores it
    await tenantA.api.endpoints.update.mutate({ id: endpoint.id, enabled: true });
    expect((await ingest(endpoint.url, { bearer: secret })).status).toBe(200);

    await tenantA.api.endpoints.delete.mutate({ id: endpoint.id });
    const gone = await ingest(endpoint.url, { bearer: secret });
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('endpoint_not_found');
    expectNoStackTrace(gone);
    // a token that never existed looks the same
    const unknown = await ingest(`${stack.baseUrl}/webhooks/incoming/in/${randomToken(32)}`, {
      bearer: secret,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('endpoint_not_found');
  });

  it("keeps tenants isolated: B can neither see nor change A's endpoints or messages", async () => {
    const a = await createEndpoint(tenantA, { name: 'tenant A private', authMode: 'bearer' });
    const b = await createEndpoint(tenantB, { name: 'tenant B own', authMode: 'hmac' });

    // one archived message on A
    const sent = await ingest(a.endpoint.url, { bearer: a.secret }, `iso-${randomUUID()}`);
    expect(sent.status).toBe(200);
    const messageId: string = sent.json.message_id;
    await expect
      .poll(async () => (await tenantA.api.messages.get.query({ id: messageId })).status, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe('archived');

    const beforeRow = await endpointRow(a.endpoint.id);
    const beforeAudit = await auditFor(a.endpoint.id);

    // every procedure on A's id, with B's key: indistinguishable from an unknown id
    const id = a.endpoint.id;
    await expectTrpcCode(tenantB.api.endpoints.get.query({ id }), 'NOT_FOUND', 404);
    await expectTrpcCode(
      tenantB.api.endpoints.update.mutate({ id, name: 'hijacked', enabled: false }),
      'NOT_FOUND',
      404,
    );
    await expectTrpcCode(
      tenantB.api.endpoints.update.mutate({ id, ipAllowlist: ['10.0.0.0/8'] }),
      'NOT_FOUND',
      404,
    );
    await expectTrpcCode(tenantB.api.endpoints.rotateSecret.mutate({ id }), 'NOT_FOUND', 404);
    await expectTrpcCode(tenantB.api.endpoints.delete.mutate({ id }), 'NOT_FOUND', 404);
    await expectTrpcCode(tenantB.api.messages.get.query({ id: messageId }), 'NOT_FOUND', 404);
    const unknownErr = await trpcError(tenantB.api.endpoints.get.query({ id: randomUUID() }));
    const foreignErr = await trpcError(tenantB.api.endpoints.get.query({ id }));
    expect(foreignErr.message.replace(id, '<id>')).toBe(unknownErr.message.replace(/[0-9a-f-]{36}/, '<id>'));

    // B's lists: B's own endpoint only, none of A's; no A message
    const bList = await tenantB.api.endpoints.list.query();
    expect(bList.map((e) => e.id)).toContain(b.endpoint.id);
    const aIds = (await tenantA.api.endpoints.list.query()).map((e) => e.id);
    expect(aIds).toContain(id);
    for (const e of bList) expect(aIds).not.toContain(e.id);
    const bRows = await stack.database.db
      .select({ tenantId: endpoints.tenantId })
      .from(endpoints)
      .where(
        inArray(
          endpoints.id,
          bList.map((e) => e.id),
        ),
      );
    expect(bRows.every((r) => r.tenantId === tenantB.tenantId)).toBe(true);
    const bMessages = await tenantB.api.messages.list.query({});
    expect(bMessages.items.map((m) => m.id)).not.toContain(messageId);
    expect((await tenantB.api.messages.list.query({ endpointId: id })).items).toEqual([]);
    expect((await tenantA.api.endpoints.list.query()).map((e) => e.id)).not.toContain(b.endpoint.id);

    // mass assignment over raw HTTP: unknown fields are not a way to move an endpoint
    const sneaky = await rawTrpc(
      'endpoints.update',
      {
        id: b.endpoint.id,
        name: 'B renamed',
        tenantId: tenantA.tenantId,
        deletedAt: null,
        authMode: 'bearer',
      },
      { authorization: `Bearer ${tenantB.adminKey}` },
    );
    expect(sneaky.status).toBeLessThan(500);
    const bRow = await endpointRow(b.endpoint.id);
    expect(bRow?.tenantId).toBe(tenantB.tenantId);
    expect(bRow?.authMode).toBe('hmac');

    // A's endpoint is untouched: same row, no audit entry from B, old secret still works
    const afterRow = await endpointRow(id);
    expect(afterRow).toEqual(beforeRow);
    expect(afterRow?.name).toBe('tenant A private');
    expect(afterRow?.enabled).toBe(true);
    expect(afterRow?.deletedAt).toBeNull();
    expect(await auditFor(id)).toEqual(beforeAudit);
    expect(await tenantA.api.endpoints.get.query({ id })).toMatchObject({
      name: 'tenant A private',
      enabled: true,
      url: a.endpoint.url,
    });
    expect((await ingest(a.endpoint.url, { bearer: a.secret })).status).toBe(200);
  });

  it('refuses every procedure without a valid admin key (UNAUTHORIZED, HTTP 401)', async () => {
    const { endpoint } = await createEndpoint(tenantA, { name: 'auth target', authMode: 'bearer' });
    const before = await endpointRow(endpoint.id);
    const beforeList = await tenantA.api.endpoints.list.query();

    // a revoked key of another tenant is as good as none
    const revoked = await newTenant();
    await stack.database.db
      .update(adminKeys)
      .set({ revokedAt: new Date() })
      .where(eq(adminKeys.id, revoked.adminKeyId));

    const inputs: Record<ProcedurePath, unknown> = {
      'endpoints.create': { name: 'should not exist', authMode: 'bearer' },
      'endpoints.list': undefined,
      'endpoints.get': { id: endpoint.id },
      'endpoints.update': { id: endpoint.id, name: 'should not change', enabled: false },
      'endpoints.rotateSecret': { id: endpoint.id },
      'endpoints.delete': { id: endpoint.id },
      'messages.get': { id: randomUUID() },
      'messages.list': undefined,
    };
    const badHeaders: Record<string, Record<string, string>> = {
      'no key': {},
      'empty bearer': { authorization: 'Bearer ' },
      'scheme only': { authorization: 'Bearer' },
      'key without scheme': { authorization: tenantA.adminKey },
      'basic scheme': { authorization: `Basic ${Buffer.from(`x:${tenantA.adminKey}`).toString('base64')}` },
      'trailing junk': { authorization: `Bearer ${tenantA.adminKey} extra` },
      'unknown key': { authorization: `Bearer wa_admin_${randomToken(32)}` },
      'revoked key': { authorization: `Bearer ${revoked.adminKey}` },
    };

    for (const [label, headers] of Object.entries(badHeaders)) {
      for (const path of Object.keys(PROCEDURES) as ProcedurePath[]) {
        const res = await rawTrpc(path, inputs[path], headers);
        expect(res.status, `${label} → ${path}`).toBe(401);
        expect(res.json?.error?.data?.code, `${label} → ${path}`).toBe('UNAUTHORIZED');
        expectNoStackTrace(res);
      }
    }

    // the typed client sees the same
    for (const key of [null, `wa_admin_${randomToken(32)}`, revoked.adminKey, `${tenantA.adminKey} extra`]) {
      const api = adminClient(stack.baseUrl, key);
      await expectTrpcCode(api.endpoints.list.query(), 'UNAUTHORIZED', 401);
      await expectTrpcCode(
        api.endpoints.create.mutate({ name: 'nope', authMode: 'hmac' }),
        'UNAUTHORIZED',
        401,
      );
      await expectTrpcCode(api.endpoints.get.query({ id: endpoint.id }), 'UNAUTHORIZED', 401);
      await expectTrpcCode(
        api.endpoints.update.mutate({ id: endpoint.id, name: 'nope' }),
        'UNAUTHORIZED',
        401,
      );
      await expectTrpcCode(api.endpoints.rotateSecret.mutate({ id: endpoint.id }), 'UNAUTHORIZED', 401);
      await expectTrpcCode(api.endpoints.delete.mutate({ id: endpoint.id }), 'UNAUTHORIZED', 401);
      await expectTrpcCode(api.messages.get.query({ id: randomUUID() }), 'UNAUTHORIZED', 401);
      await expectTrpcCode(api.messages.list.query({}), 'UNAUTHORIZED', 401);
    }
    // auth is checked before input: garbage input without a key is still 401, not 400
    expect((await rawTrpc('endpoints.get', { id: 'not-a-uuid' })).status).toBe(401);

    // nothing happened
    expect(await endpointRow(endpoint.id)).toEqual(before);
    expect(await tenantA.api.endpoints.list.query()).toEqual(beforeList);
    expect((await tenantA.api.endpoints.list.query()).map((e) => e.name)).not.toContain('should not exist');
    expect((await tenantA.api.endpoints.list.query()).map((e) => e.name)).not.toContain('nope');
  });

  it('answers bad input with 400 (404 for an unknown id) and changes nothing', async () => {
    const api = tenantA.api;
    const auth = { authorization: `Bearer ${tenantA.adminKey}` };
    const { endpoint, secret } = await createEndpoint(tenantA, {
      name: 'bad input target',
      authMode: 'bearer',
      ipAllowlist: ['127.0.0.1'],
    });
    const beforeRow = await endpointRow(endpoint.id);
    const beforeList = await api.endpoints.list.query();
    const beforeAudit = await auditFor(endpoint.id);

    // typed client
    const badCreates = [
      { name: 'bad cidr', authMode: 'bearer' as const, ipAllowlist: ['10.0.0.0/33'] },
      { name: 'bad ip', authMode: 'bearer' as const, ipAllowlist: ['not-an-ip'] },
      { name: 'mixed', authMode: 'hmac' as const, ipAllowlist: ['10.0.0.0/8', 'not-an-ip'] },
      { name: '', authMode: 'bearer' as const },
      { name: '    ', authMode: 'bearer' as const },
      { name: 'x'.repeat(201), authMode: 'bearer' as const },
      { name: 'unknown mode', authMode: 'basic' as unknown as 'bearer' },
      {
        name: 'too many',
        authMode: 'bearer' as const,
        ipAllowlist: Array.from({ length: 101 }, (_, i) => `10.0.${i}.1`),
      },
    ];
    for (const input of badCreates) {
      await expectTrpcCode(api.endpoints.create.mutate(input), 'BAD_REQUEST', 400);
    }
    const badUpdates = [
      { id: endpoint.id, ipAllowlist: ['10.0.0.0/33'] },
      { id: endpoint.id, ipAllowlist: ['not-an-ip'] },
      { id: endpoint.id, name: '' },
      { id: endpoint.id, name: '   ', enabled: false },
      { id: endpoint.id },
      { id: 'not-a-uuid', name: 'x' },
    ];
    for (const input of badUpdates) {
      await expectTrpcCode(api.endpoints.update.mutate(input), 'BAD_REQUEST', 400);
    }
    await expectTrpcCode(api.endpoints.get.query({ id: 'not-a-uuid' }), 'BAD_REQUEST', 400);
    await expectTrpcCode(api.endpoints.rotateSecret.mutate({ id: '1234' }), 'BAD_REQUEST', 400);
    await expectTrpcCode(api.endpoints.delete.mutate({ id: `${endpoint.id}x` }), 'BAD_REQUEST', 400);
    await expectTrpcCode(api.messages.get.query({ id: 'nope' }), 'BAD_REQUEST', 400);

    // a well-formed id nobody has
    const ghost = randomUUID();
    await expectTrpcCode(api.endpoints.get.query({ id: ghost }), 'NOT_FOUND', 404);
    await expectTrpcCode(api.endpoints.update.mutate({ id: ghost, name: 'ghost' }), 'NOT_FOUND', 404);
    await expectTrpcCode(api.endpoints.rotateSecret.mutate({ id: ghost }), 'NOT_FOUND', 404);
    await expectTrpcCode(api.endpoints.delete.mutate({ id: ghost }), 'NOT_FOUND', 404);
    await expectTrpcCode(api.messages.get.query({ id: ghost }), 'NOT_FOUND', 404);

    // raw HTTP: the statuses, and no stack trace in any error body
    const rawCases: [ProcedurePath, unknown, number, string?][] = [
      ['endpoints.create', { name: 'r', authMode: 'bearer', ipAllowlist: ['10.0.0.0/33'] }, 400],
      ['endpoints.create', { name: 'r', authMode: 'bearer', ipAllowlist: ['not-an-ip'] }, 400],
      ['endpoints.create', { name: '', authMode: 'bearer' }, 400],
      ['endpoints.create', { name: 'r', authMode: 'digest' }, 400],
      ['endpoints.create', { name: 'r' }, 400],
      ['endpoints.create', undefined, 400],
      ['endpoints.create', undefined, 400, '{not json'],
      ['endpoints.update', { id: endpoint.id }, 400],
      ['endpoints.update', { id: endpoint.id, ipAllowlist: ['10.0.0.0/33'] }, 400],
      ['endpoints.update', { id: endpoint.id, name: '' }, 400],
      ['endpoints.update', { id: endpoint.id, enabled: 'no' }, 400],
      ['endpoints.update', { id: 'not-a-uuid', name: 'x' }, 400],
      ['endpoints.get', { id: 'not-a-uuid' }, 400],
      ['endpoints.get', undefined, 400],
      ['endpoints.rotateSecret', { id: 'not-a-uuid' }, 400],
      ['endpoints.delete', { id: 'not-a-uuid' }, 400],
      ['messages.get', { id: 'not-a-uuid' }, 400],
      ['messages.list', { cursor: 'garbage' }, 400],
      ['messages.list', { limit: 0 }, 400],
      ['endpoints.get', { id: ghost }, 404],
      ['endpoints.update', { id: ghost, name: 'x' }, 404],
      ['endpoints.rotateSecret', { id: ghost }, 404],
      ['endpoints.delete', { id: ghost }, 404],
      ['messages.get', { id: ghost }, 404],
    ];
    for (const [path, input, status, rawBody] of rawCases) {
      const res = await rawTrpc(path, input, auth, rawBody);
      const label = `${path} ${rawBody ?? JSON.stringify(input)}`;
      expect(res.status, label).toBe(status);
      expect(res.json?.error?.data?.code, label).toBe(status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST');
      expectNoStackTrace(res);
      expect(res.text, label).not.toContain(secret);
    }

    // nothing changed: the list, the row, the audit trail, and ingest still works
    expect(await api.endpoints.list.query()).toEqual(beforeList);
    expect(await endpointRow(endpoint.id)).toEqual(beforeRow);
    expect(await auditFor(endpoint.id)).toEqual(beforeAudit);
    expect(await auditFor(ghost)).toEqual([]);
    expect((await ingest(endpoint.url, { bearer: secret })).status).toBe(200);
  });

  it('normalises CIDRs on create and update', async () => {
    const { endpoint } = await createEndpoint(tenantA, {
      name: 'cidr',
      authMode: 'hmac',
      ipAllowlist: ['10.1.2.3/8', '192.168.1.5', ' 172.16.5.4/12 ', '10.0.0.0/8', '::ffff:192.0.2.7'],
    });
    const expected = ['10.0.0.0/8', '192.168.1.5/32', '172.16.0.0/12', '192.0.2.7/32'];
    expect(endpoint.ipAllowlist).toEqual(expected);
    expect((await endpointRow(endpoint.id))?.ipAllowlist).toEqual(expected);
    expect((await tenantA.api.endpoints.get.query({ id: endpoint.id })).ipAllowlist).toEqual(expected);

    const updated = await tenantA.api.endpoints.update.mutate({
      id: endpoint.id,
      ipAllowlist: ['2001:db8::1/32', '203.0.113.9/24'],
    });
    expect(updated.ipAllowlist).toEqual(['2001:db8::/32', '203.0.113.0/24']);
    expect((await endpointRow(endpoint.id))?.ipAllowlist).toEqual(['2001:db8::/32', '203.0.113.0/24']);
  });

  it('writes an append-only audit trail of every change, without secrets', async () => {
    const { endpoint, secret, token } = await createEndpoint(tenantA, {
      name: 'audited',
      authMode: 'hmac',
    });
    await tenantA.api.endpoints.update.mutate({
      id: endpoint.id,
      name: 'audited 2',
      ipAllowlist: ['10.0.0.1'],
    });
    const { secret: secret2 } = await rotate(tenantA, endpoint.id);
    await tenantA.api.endpoints.update.mutate({ id: endpoint.id, enabled: false });
    await tenantA.api.endpoints.delete.mutate({ id: endpoint.id });

    const entries = await auditFor(endpoint.id);
    expect(entries.map((e) => e.action)).toEqual([
      'endpoint.created',
      'endpoint.updated',
      'endpoint.secret_rotated',
      'endpoint.disabled',
      'endpoint.deleted',
    ]);
    for (const e of entries) {
      expect(e.actor).toBe(`admin_key:${tenantA.adminKeyId}`);
      expect(e.tenantId).toBe(tenantA.tenantId);
      expect(e.targetType).toBe('endpoint');
      const details = JSON.stringify(e.details);
      for (const s of [secret, secret2, token, tenantA.adminKey]) expect(details).not.toContain(s);
      expectNoSecretKeys(e.details);
    }
    expect(entries[0]!.details).toMatchObject({ name: 'audited', authMode: 'hmac' });
    expect(entries[1]!.details).toMatchObject({
      changes: { name: 'audited 2', ipAllowlist: ['10.0.0.1/32'] },
    });

    // the database itself refuses to rewrite or erase history
    const db = stack.database.db;
    await expect(
      db.update(auditLog).set({ action: 'tampered' }).where(eq(auditLog.targetId, endpoint.id)),
    ).rejects.toThrow();
    await expect(db.delete(auditLog).where(eq(auditLog.targetId, endpoint.id))).rejects.toThrow();
    await expect(db.delete(auditLog).where(eq(auditLog.id, entries[0]!.id))).rejects.toThrow();
    const tampered = await db
      .update(auditLog)
      .set({ details: {} })
      .where(eq(auditLog.id, entries[1]!.id))
      .then(
        () => 'accepted',
        (err: unknown) => errorText(err),
      );
    expect(tampered).toMatch(/append-only/);
    expect(await auditFor(endpoint.id)).toEqual(entries);
  });

  it('never reveals a secret, token or admin key in logs or in clear in the database', async () => {
    expect(sensitive.size).toBeGreaterThan(10);
    const logs = stack.logs.join('');
    // the logs were captured at all (otherwise this proves nothing)
    expect(logs).toContain('endpoint created');
    expect(logs).toContain('webhook refused');
    for (const s of sensitive) {
      expect(logs.includes(s), `a secret/token/admin key (${s.slice(0, 6)}…) is in the logs`).toBe(false);
    }

    const rows = await stack.database.db
      .select()
      .from(endpoints)
      .where(inArray(endpoints.id, [...tokens.keys()]));
    expect(rows.length).toBe(tokens.size);
    for (const row of rows) {
      const token = tokens.get(row.id)!;
      expect(row.tokenHash).not.toBe(token);
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.tokenHash).not.toContain(token);
      for (const s of sensitive) {
        expect(row.secretSealed.includes(s), `secret_sealed of ${row.id} holds plaintext`).toBe(false);
        expect(row.tokenSealed.includes(s), `token_sealed of ${row.id} holds plaintext`).toBe(false);
      }
      expect(row.secretSealed).not.toBe(row.tokenSealed);
    }

    // nor anywhere else this run wrote: audit log and message records of both tenants
    const tenantIds = [tenantA.tenantId, tenantB.tenantId];
    const audit = JSON.stringify(
      await stack.database.db.select().from(auditLog).where(inArray(auditLog.tenantId, tenantIds)),
    );
    const msgs = JSON.stringify(
      await stack.database.db.select().from(messages).where(inArray(messages.tenantId, tenantIds)),
    );
    for (const s of sensitive) {
      expect(audit.includes(s), 'a secret is in the audit log').toBe(false);
      expect(msgs.includes(s), 'a secret is in a message record').toBe(false);
    }
  });
});

/** The message of an error and of every cause under it (drizzle wraps the driver's error). */
function errorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; e && i < 5; i++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' | ');
}
