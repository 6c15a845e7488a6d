// Roles over the real admin API and downloads: a matrix of every procedure and download × every
// role (each role gets exactly what it should; a refusal is 403 FORBIDDEN and changes nothing),
// scoped API keys (created with a role, shown once, revoked or expired → 401 at once), and the
// access audit (who read which message, when, from where) through audit.list.
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { PERMISSIONS, type Permission } from '../apps/server/auth/permissions';
import { appRouter } from '../apps/server/trpc/root';
import { adminKeys, auditLog, ingestReceipts, messages } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { ROLES, type Role } from '../lib/roles';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

// The specification, written out independently of apps/server/auth/permissions.ts.
const A = 'admin';
const R = 'reviewer';
const U = 'auditor';
const EXPECTED: Record<Permission, Role[]> = {
  'auth.whoami': [A, R, U],
  'endpoints.create': [A],
  'endpoints.list': [A],
  'endpoints.get': [A],
  'endpoints.update': [A],
  'endpoints.rotateSecret': [A],
  'endpoints.delete': [A],
  'messages.get': [A, R, U],
  'messages.list': [A, R, U],
  'messages.counts': [A, R, U],
  'messages.search': [A, R, U],
  'messages.volume': [A, R, U],
  'messages.verify': [A, R, U],
  'messages.setLegalHold': [A, R],
  'messages.reprocess': [A],
  'apiKeys.create': [A],
  'apiKeys.list': [A],
  'apiKeys.revoke': [A],
  'audit.list': [A, U],
  'requests.list': [A, U],
  'messages.receipt': [A, R, U],
  'messages.proof': [A, R, U],
  'messages.reconcile': [A, U],
  'ledger.checkpoint': [A, R, U],
  'ledger.consistency': [A, R, U],
  'ledger.status': [A, R, U],
  'endpoints.setExpectedCadence': [A],
  'endpoints.silence': [A],
  'requests.traffic': [A, U],
  'exports.create': [A, R, U],
  'exports.get': [A, R, U],
  'exports.list': [A, R, U],
  'download.raw': [A, R, U],
  'download.attachment': [A, R, U],
  'download.export': [A, R, U],
};

interface Call {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON from the wire, inspected by the assertions
  json: any;
  text: string;
}

const QUERIES = new Set(['query']);

function procedureType(path: string): string {
  const procs = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  return procs[path]!._def.type;
}

async function rawCall(baseUrl: string, key: string, path: string, input: unknown): Promise<Call> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  let res: Response;
  if (path === 'download.export') {
    res = await fetch(`${baseUrl}/api/exports/${(input as { id: string }).id}/download`, { headers });
  } else if (path.startsWith('download.')) {
    const { id, ordinal } = input as { id: string; ordinal?: number };
    const suffix = ordinal === undefined ? 'raw' : `attachments/${ordinal}`;
    res = await fetch(`${baseUrl}/api/messages/${id}/${suffix}`, { headers });
  } else if (QUERIES.has(procedureType(path))) {
    const url = new URL(`${baseUrl}/trpc/${path}`);
    if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
    res = await fetch(url, { headers });
  } else {
    res = await fetch(`${baseUrl}/trpc/${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(input ?? {}),
    });
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // a download body
  }
  return { status: res.status, json, text };
}

describe('roles, scoped API keys and the access audit', () => {
  let stack: Stack;
  let admin: { key: string; id: string; tenantId: string; api: ReturnType<typeof adminClient> };
  const keys = {} as Record<Role, { key: string; id: string }>;
  let other: { api: ReturnType<typeof adminClient>; endpointId: string; messageId: string };
  let messageId: string;
  let endpointId: string;

  async function sendArchived(api: ReturnType<typeof adminClient>) {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'roles', authMode: 'bearer' });
    const payload = samplePayload({
      attachments: [
        {
          filename: 'a.txt',
          content_type: 'text/plain',
          content_base64: Buffer.from('evidence').toString('base64'),
        },
      ],
    });
    const ack = (await (await postBearer(endpoint.url, secret, payload)).json()) as Ack;
    // Hooks cannot use expect.poll: wait by hand.
    for (let i = 0; ; i++) {
      const [m] = await stack.database.db
        .select({ status: messages.status })
        .from(messages)
        .where(eq(messages.id, ack.message_id));
      if (m?.status === 'archived') break;
      if (i > 300) throw new Error(`message ${ack.message_id} not archived: ${m?.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { endpointId: endpoint.id, messageId: ack.message_id };
  }

  beforeAll(async () => {
    stack = await startStack();
    const t = await stack.newTenant();
    const [row] = await stack.database.db
      .select({ id: adminKeys.id, role: adminKeys.role })
      .from(adminKeys)
      .where(eq(adminKeys.keyHash, sha256Hex(t.adminKey)));
    // A key made the old way (tenant bootstrap) is an admin key.
    expect(row?.role).toBe('admin');
    admin = {
      key: t.adminKey,
      id: row!.id,
      tenantId: t.tenantId,
      api: adminClient(stack.baseUrl, t.adminKey),
    };
    keys.admin = { key: admin.key, id: admin.id };
    for (const role of ['reviewer', 'auditor'] as const) {
      const created = await admin.api.apiKeys.create.mutate({ name: `${role} key`, role });
      keys[role] = { key: created.key, id: created.id };
    }
    ({ endpointId, messageId } = await sendArchived(admin.api));
    const b = await stack.newTenant();
    const bApi = adminClient(stack.baseUrl, b.adminKey);
    other = { api: bApi, ...(await sendArchived(bApi)) };
  }, 90_000);
  afterAll(() => stack?.close());

  /** A valid input for each permission; fresh resources where the call consumes them. */
  async function inputFor(path: Permission): Promise<unknown> {
    switch (path) {
      case 'auth.whoami':
      case 'endpoints.list':
      case 'apiKeys.list':
        return undefined;
      case 'endpoints.create':
        return { name: `matrix-${randomUUID().slice(0, 6)}`, authMode: 'hmac' };
      case 'endpoints.get':
        return { id: endpointId };
      case 'endpoints.update':
        return { id: endpointId, name: 'renamed by matrix' };
      case 'endpoints.rotateSecret':
      case 'endpoints.delete':
        return {
          id: (await admin.api.endpoints.create.mutate({ name: 'spare', authMode: 'hmac' })).endpoint.id,
        };
      case 'messages.get':
      case 'messages.verify':
      case 'messages.receipt':
        return { id: messageId };
      case 'messages.proof':
        await sealedCheckpoint();
        return { id: messageId };
      case 'ledger.checkpoint':
        await sealedCheckpoint();
        return undefined;
      case 'ledger.consistency':
        await sealedCheckpoint();
        return { from: 1, to: 1 };
      case 'ledger.status':
      case 'endpoints.silence':
        return undefined;
      case 'messages.reconcile':
        return { endpointId, items: [{ external_id: 'not-sent' }] };
      case 'endpoints.setExpectedCadence':
        return { id: endpointId, expectSilenceAtMost: '6h' };
      case 'messages.list':
      case 'messages.counts':
      case 'audit.list':
      case 'requests.list':
        return {};
      case 'requests.traffic':
        return { endpointId, range: '24h' };
      case 'messages.search':
        return { q: 'message' };
      case 'messages.volume':
        return { endpointId, bucket: 'hour' };
      case 'messages.setLegalHold':
        return { id: messageId, on: true };
      case 'messages.reprocess':
        return { id: await failedMessage() };
      case 'apiKeys.create':
        return { name: 'made in the matrix', role: 'auditor' };
      case 'apiKeys.revoke':
        return { id: (await admin.api.apiKeys.create.mutate({ name: 'to revoke', role: 'auditor' })).id };
      case 'exports.create':
        return { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date().toISOString() };
      case 'exports.get':
        return { id: (await completedExport()).id };
      case 'exports.list':
        return undefined;
      case 'download.export':
        return { id: (await completedExport()).id };
      case 'download.raw':
        return { id: messageId };
      case 'download.attachment':
        return { id: messageId, ordinal: 0 };
    }
  }

  /** A message whose archiving failed, as the worker leaves one: its receipt and row say failed. */
  let failedEndpointId: string | undefined;
  async function failedMessage() {
    // On an endpoint of their own: the access-audit test below lists the first endpoint's messages.
    failedEndpointId ??= (await admin.api.endpoints.create.mutate({ name: 'failed', authMode: 'bearer' }))
      .endpoint.id;
    const id = randomUUID();
    const raw = Buffer.from(JSON.stringify(samplePayload()));
    const common = {
      id,
      tenantId: admin.tenantId,
      endpointId: failedEndpointId,
      externalId: `failed-${id}`,
      receivedAt: new Date(),
      rawSha256: sha256Hex(raw),
      rawSize: raw.length,
      requestId: randomUUID(),
      workflowId: `archive-${id}`,
    };
    await stack.database.db.insert(ingestReceipts).values({
      ...common,
      raw,
      authMode: 'bearer',
      retentionDays: 1,
      state: 'failed',
      error: 'DataError: x',
    });
    await stack.database.db.insert(messages).values({ ...common, status: 'failed', error: 'DataError: x' });
    return id;
  }

  /** One finished export of the admin's tenant, made once (its workflow waits for a checkpoint). */
  let exported: Promise<{ id: string }> | undefined;
  function completedExport() {
    exported ??= (async () => {
      await sealedCheckpoint();
      const { id } = await admin.api.exports.create.mutate({
        from: new Date(Date.now() - 3600_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      });
      for (let i = 0; ; i++) {
        const e = await admin.api.exports.get.query({ id });
        if (e.state === 'completed') return { id };
        if (e.state === 'failed' || i > 240) throw new Error(`export ${id}: ${e.state} ${e.error ?? ''}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    return exported;
  }

  /** Proofs and checkpoints need the tenant's log to have sealed one (its integrator runs every 10 s). */
  async function sealedCheckpoint() {
    for (let i = 0; ; i++) {
      const ok = await admin.api.ledger.checkpoint.query().then(
        (c) => c.tree_size >= 1,
        () => false,
      );
      if (ok) return;
      if (i > 120) throw new Error('no checkpoint sealed in time');
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Changes and reads recorded for an actor. */
  async function auditCount(actor: string) {
    const [r] = await stack.database.db
      .select({ n: count() })
      .from(auditLog)
      .where(eq(auditLog.actor, actor));
    return r!.n;
  }

  it('declares a role for every procedure and download, and the table matches the specification', () => {
    const procedures = Object.keys(appRouter._def.procedures).sort();
    const declared = Object.keys(PERMISSIONS)
      .filter((p) => !p.startsWith('download.'))
      .sort();
    expect(declared).toEqual(procedures);
    for (const [path, roles] of Object.entries(PERMISSIONS)) {
      expect([...roles].sort(), path).toEqual([...EXPECTED[path as Permission]].sort());
    }
  });

  it('gives each role exactly what it should: allowed calls succeed, the rest are 403 and change nothing', async () => {
    const outcomes: string[] = [];
    for (const path of Object.keys(EXPECTED) as Permission[]) {
      for (const role of ROLES) {
        const input = await inputFor(path);
        const actor = `admin_key:${keys[role].id}`;
        const before = await auditCount(actor);
        const res = await rawCall(stack.baseUrl, keys[role].key, path, input);
        const allowed = EXPECTED[path].includes(role);
        outcomes.push(`${path} ${role} ${res.status}`);
        if (allowed) {
          expect(res.status, `${role} → ${path}: ${res.text.slice(0, 200)}`).toBe(200);
        } else {
          expect(res.status, `${role} → ${path}`).toBe(403);
          if (path.startsWith('download.')) expect(res.json?.error?.code).toBe('forbidden');
          else expect(res.json?.error?.data?.code, `${role} → ${path}`).toBe('FORBIDDEN');
          expect(res.text).not.toMatch(/\bat\s+\S+\s+\(|node:internal/);
          expect(await auditCount(actor), `${role} → ${path} left a trace`).toBe(before);
        }
      }
    }
    // Every permission × 3 roles, all exercised.
    expect(outcomes).toHaveLength(Object.keys(EXPECTED).length * ROLES.length);
    // A refused update really changed nothing: the name is the admin's.
    const ep = await admin.api.endpoints.get.query({ id: endpointId });
    expect(ep.name).toBe('renamed by matrix');
  });

  it("keeps another tenant's ids NOT_FOUND for every role that may call the procedure", async () => {
    for (const role of ROLES) {
      const api = adminClient(stack.baseUrl, keys[role].key);
      await expect(api.messages.get.query({ id: other.messageId })).rejects.toMatchObject({
        data: { code: 'NOT_FOUND' },
      });
      await expect(api.messages.verify.mutate({ id: other.messageId })).rejects.toMatchObject({
        data: { code: 'NOT_FOUND' },
      });
      for (const suffix of ['raw', 'attachments/0']) {
        const res = await fetch(`${stack.baseUrl}/api/messages/${other.messageId}/${suffix}`, {
          headers: { authorization: `Bearer ${keys[role].key}` },
        });
        expect(res.status, `${role} ${suffix}`).toBe(404);
      }
    }
    await expect(
      adminClient(stack.baseUrl, keys.reviewer.key).messages.setLegalHold.mutate({
        id: other.messageId,
        on: true,
      }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(admin.api.endpoints.get.query({ id: other.endpointId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    // Tenant B's admin cannot see or revoke tenant A's keys.
    expect((await other.api.apiKeys.list.query()).map((k) => k.id)).not.toContain(keys.auditor.id);
    await expect(other.api.apiKeys.revoke.mutate({ id: keys.auditor.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    expect((await admin.api.apiKeys.list.query()).find((k) => k.id === keys.auditor.id)?.state).toBe(
      'active',
    );
  });

  it('creates a key with its role (shown once), lists keys without them, and audits both', async () => {
    const created = await admin.api.apiKeys.create.mutate({ name: 'ci export', role: 'reviewer' });
    expect(created.key).toMatch(/^wa_reviewer_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.keyPrefix)).toBe(true);
    expect(await adminClient(stack.baseUrl, created.key).auth.whoami.query()).toEqual({
      role: 'reviewer',
      actor: `admin_key:${created.id}`,
      via: 'key',
    });
    const listed = await admin.api.apiKeys.list.query();
    const text = JSON.stringify(listed);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(sha256Hex(created.key));
    expect(listed.find((k) => k.id === created.id)).toMatchObject({ role: 'reviewer', state: 'active' });
    // Only the hash is stored.
    const [row] = await stack.database.db.select().from(adminKeys).where(eq(adminKeys.id, created.id));
    expect(row!.keyHash).toBe(sha256Hex(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const audit = await admin.api.audit.list.query({
      action: 'api_key.created',
      actor: `admin_key:${admin.id}`,
    });
    const entry = audit.items.find((e) => e.targetId === created.id);
    expect(entry?.details).toMatchObject({ name: 'ci export', role: 'reviewer' });
    expect(JSON.stringify(audit)).not.toContain(created.key);
  });

  it('refuses bad key input with 400 and a machine-readable code', async () => {
    for (const input of [
      { name: 'x', role: 'superuser' },
      { name: '', role: 'auditor' },
      { name: 'x', role: 'auditor', expiresAt: 'tomorrow' },
      { name: 'x', role: 'auditor', expiresAt: new Date(Date.now() - 60_000).toISOString() },
    ]) {
      const res = await rawCall(stack.baseUrl, admin.key, 'apiKeys.create', input);
      expect(res.status, JSON.stringify(input)).toBe(400);
      expect(res.json?.error?.data?.code).toBe('BAD_REQUEST');
    }
    expect((await rawCall(stack.baseUrl, admin.key, 'apiKeys.revoke', { id: 'nope' })).status).toBe(400);
    expect((await rawCall(stack.baseUrl, admin.key, 'apiKeys.revoke', { id: randomUUID() })).status).toBe(
      404,
    );
  });

  it('refuses a revoked key with 401 on the very next request, procedures and downloads alike', async () => {
    const created = await admin.api.apiKeys.create.mutate({ name: 'short-lived', role: 'auditor' });
    const api = adminClient(stack.baseUrl, created.key);
    expect((await api.messages.get.query({ id: messageId })).id).toBe(messageId);
    const revoked = await admin.api.apiKeys.revoke.mutate({ id: created.id });
    expect(revoked.state).toBe('revoked');
    const err = await trpcError(api.messages.get.query({ id: messageId }));
    expect(err.data?.code).toBe('UNAUTHORIZED');
    expect(err.data?.httpStatus).toBe(401);
    const dl = await rawCall(stack.baseUrl, created.key, 'download.raw', { id: messageId });
    expect(dl.status).toBe(401);
    expect(dl.json?.error?.code).toBe('unauthorized');
    // Revoking twice is harmless and audited once.
    await admin.api.apiKeys.revoke.mutate({ id: created.id });
    const audit = await admin.api.audit.list.query({ action: 'api_key.revoked' });
    expect(audit.items.filter((e) => e.targetId === created.id)).toHaveLength(1);
  });

  it('refuses an expired key with 401 as soon as it expires', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = await admin.api.apiKeys.create.mutate({ name: 'expiring', role: 'reviewer', expiresAt });
    expect(created.expiresAt).toBe(expiresAt);
    const api = adminClient(stack.baseUrl, created.key);
    expect((await api.auth.whoami.query()).role).toBe('reviewer');
    await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 100));
    expect((await trpcError(api.auth.whoami.query())).data?.httpStatus).toBe(401);
    expect(
      (await rawCall(stack.baseUrl, created.key, 'download.attachment', { id: messageId, ordinal: 0 }))
        .status,
    ).toBe(401);
    expect((await admin.api.apiKeys.list.query()).find((k) => k.id === created.id)?.state).toBe('expired');
  });

  it("records an auditor's messages.get and downloads in audit.list with the key id, time and address", async () => {
    const auditor = adminClient(stack.baseUrl, keys.auditor.key);
    const from = new Date(Date.now() - 1000).toISOString();
    await auditor.messages.get.query({ id: messageId });
    const raw = await fetch(`${stack.baseUrl}/api/messages/${messageId}/raw`, {
      headers: { authorization: `Bearer ${keys.auditor.key}` },
    });
    expect(raw.status).toBe(200);
    await raw.arrayBuffer();
    const att = await fetch(`${stack.baseUrl}/api/messages/${messageId}/attachments/0`, {
      headers: { authorization: `Bearer ${keys.auditor.key}` },
    });
    expect(await att.text()).toBe('evidence');
    await auditor.messages.search.query({ q: 'message' });
    await auditor.messages.list.query({ endpointId });

    const actor = `admin_key:${keys.auditor.id}`;
    const page = await auditor.audit.list.query({ actor, messageId, from });
    const actions = page.items.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['message.viewed', 'message.downloaded', 'attachment.downloaded']),
    );
    for (const e of page.items) {
      expect(e.actor).toBe(actor);
      expect(e.targetId).toBe(messageId);
      expect(e.sourceIp).toBe('127.0.0.1');
      expect(Date.parse(e.createdAt)).toBeGreaterThanOrEqual(Date.parse(from));
      expect(e.details).toMatchObject({ role: 'auditor', via: 'key' });
    }
    expect(page.items.find((e) => e.action === 'attachment.downloaded')?.details).toMatchObject({
      ordinal: 0,
    });
    const searched = await auditor.audit.list.query({ actor, action: 'messages.searched', from });
    expect(searched.items[0]?.details).toMatchObject({ query: { q: 'message' } });
    expect(searched.items[0]?.details.messageIds).toContain(messageId);
    const listed = await auditor.audit.list.query({ actor, action: 'messages.listed', from });
    expect(listed.items[0]?.details).toMatchObject({ endpointId, count: 1, messageIds: [messageId] });

    // Filters narrow; pagination walks everything once, newest first.
    expect(
      (await auditor.audit.list.query({ actor, action: 'message.viewed', messageId })).items.length,
    ).toBeGreaterThan(0);
    expect(
      (await auditor.audit.list.query({ actor, to: from })).items.every((e) => e.createdAt <= from),
    ).toBe(true);
    expect((await auditor.audit.list.query({ messageId: randomUUID() })).items).toEqual([]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await auditor.audit.list.query({ actor, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...p.items.map((e) => e.id));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    const all = await auditor.audit.list.query({ actor, limit: 200 });
    expect(seen).toEqual(all.items.map((e) => e.id));
    expect(new Set(seen).size).toBe(seen.length);
    // Another tenant's audit log shows none of it.
    expect((await other.api.audit.list.query({ actor })).items).toEqual([]);
    // A bad cursor is a 400, not a 500.
    expect((await rawCall(stack.baseUrl, keys.auditor.key, 'audit.list', { cursor: 'x' })).status).toBe(400);
  });

  it('manages keys from the CLI: keys create | list | revoke', async () => {
    async function cli(argv: string[], key = admin.key) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(argv, {
        stdout: (x) => {
          stdout += x;
        },
        stderr: (x) => {
          stderr += x;
        },
        env: { API_URL: stack.baseUrl, ADMIN_API_KEY: key },
      });
      return { code, stdout, stderr };
    }
    const made = await cli(['keys', 'create', '--name', 'from cli', '--role', 'auditor', '--expires', '30d']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('shown only once');
    const key = /Key:\s+(wa_auditor_\S+)/.exec(made.stdout)?.[1];
    const id = /id:\s+(\S+)/.exec(made.stdout)?.[1];
    expect(key && id).toBeTruthy();
    expect((await adminClient(stack.baseUrl, key!).auth.whoami.query()).role).toBe('auditor');

    const listed = await cli(['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+from cli\\s+auditor\\s+wa_auditor_\\S+\\s+active`));
    expect(listed.stdout).not.toContain(key!);

    const revoked = await cli(['keys', 'revoke', id!]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await trpcError(adminClient(stack.baseUrl, key!).auth.whoami.query())).data?.httpStatus).toBe(
      401,
    );

    // Usage errors exit 2 before any request; a non-admin key is refused with exit 1.
    expect((await cli(['keys', 'create', '--name', 'x', '--role', 'root'])).code).toBe(2);
    expect(
      (await cli(['keys', 'create', '--name', 'x', '--role', 'auditor', '--expires', 'soon'])).code,
    ).toBe(2);
    const denied = await cli(['keys', 'list'], keys.reviewer.key);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/FORBIDDEN/);
  });
});

// The embedded database runs the same migration: roles, expiry and refusals hold on PGlite too.
describe('roles on PGlite', () => {
  let stack: Stack;
  afterAll(() => stack?.close());

  it('creates scoped keys, refuses a role FORBIDDEN, and a revoked key 401', async () => {
    stack = await startStack({ db: 'pglite', worker: false });
    const api = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    const auditor = await api.apiKeys.create.mutate({ name: 'lite', role: 'auditor' });
    const asAuditor = adminClient(stack.baseUrl, auditor.key);
    expect((await asAuditor.auth.whoami.query()).role).toBe('auditor');
    expect((await trpcError(asAuditor.endpoints.list.query())).data?.code).toBe('FORBIDDEN');
    expect((await asAuditor.audit.list.query({ action: 'api_key.created' })).items).toHaveLength(1);
    await api.apiKeys.revoke.mutate({ id: auditor.id });
    expect((await trpcError(asAuditor.auth.whoami.query())).data?.httpStatus).toBe(401);
  });
});
