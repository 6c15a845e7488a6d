// Evidence end to end on the real stack (PostgreSQL, Temporal, the local WORM store): signed
// receipts on every 200, the per-tenant transparency log with sealed checkpoints and proofs,
// the audit catching tampering, and reconciliation.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageContext } from '../activities/message-context';
import { markArchived } from '../activities/persist';
import { runCli } from '../apps/cli/cli';
import { rowsOf } from '../db/client';
import { attachments, auditLog, endpointCadence, ledgerLeaves, messages } from '../db/schema';
import { openNote, parseCheckpoint, parseTlogProof } from '../evidence/checkpoint';
import { leafHash, verifyConsistency, verifyInclusion } from '../evidence/merkle';
import { type Receipt, verifyReceipt } from '../evidence/receipt';
import type { PublishedKey } from '../evidence/signing-key';
import { appendLeaf } from '../ledger/append';
import { auditTenant } from '../ledger/audit';
import { logOrigin } from '../ledger/deps';
import { ensureLedgerWorkflows } from '../ledger/ensure';
import { integratorWorkflowId } from '../ledger/workflow-ids';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

type AckWithReceipt = Ack & { receipt: Receipt };
const hex = (s: string) => Buffer.from(s, 'hex');
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

describe('evidence: receipts, transparency log, audit, reconcile', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  let tenantId: string;
  let endpoint: { id: string; url: string };
  let secret: string;
  let keys: PublishedKey[];
  let adminKey: string;
  const sent: { payload: ReturnType<typeof samplePayload>; raw: string; ack: AckWithReceipt }[] = [];

  const send = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const payload = samplePayload();
      const raw = JSON.stringify(payload);
      const res = await postBearer(endpoint.url, secret, raw);
      expect(res.status).toBe(200);
      sent.push({ payload, raw, ack: (await res.json()) as AckWithReceipt });
    }
  };
  const checkpointOfSize = async (size: number) => {
    await expect
      .poll(async () => (await api.ledger.status.query()).checkpoint?.tree_size, {
        timeout: 40_000,
        interval: 500,
      })
      .toBe(size);
    return api.ledger.checkpoint.query();
  };

  beforeAll(async () => {
    // A short audit interval, so the auditor workflow itself is seen reporting.
    stack = await startStack({ env: { LEDGER_AUDIT_INTERVAL_SECONDS: '2' } });
    const t = await stack.newTenant();
    tenantId = t.tenantId;
    adminKey = t.adminKey;
    api = adminClient(stack.baseUrl, t.adminKey);
    ({ endpoint, secret } = await api.endpoints.create.mutate({ name: 'evidence', authMode: 'bearer' }));
    keys = (
      (await (await fetch(`${stack.baseUrl}/.well-known/webhook-archive/keys`)).json()) as {
        keys: PublishedKey[];
      }
    ).keys;
    await send(5);
  }, 60_000);
  afterAll(() => stack?.close());

  it('publishes the keys without authentication', async () => {
    const res = await fetch(`${stack.baseUrl}/.well-known/webhook-archive/keys`);
    expect(res.status).toBe(200);
    expect(keys).toEqual([
      {
        key_id: expect.stringMatching(/^[0-9a-f]{16}$/),
        alg: 'Ed25519',
        public_key: expect.any(String),
        created_at: expect.any(String),
      },
    ]);
    expect(Buffer.from(keys[0]!.public_key, 'base64')).toHaveLength(32);
    expect(
      (await fetch(`${stack.baseUrl}/.well-known/webhook-archive/keys`, { method: 'POST' })).status,
    ).toBe(405);
  });

  it('every 200 carries a receipt over what was received; a duplicate gets the original receipt', async () => {
    for (const { raw, ack, payload } of sent) {
      expect(ack.receipt).toMatchObject({
        v: 1,
        message_id: ack.message_id,
        external_id: payload.external_id,
        endpoint_id: endpoint.id,
        tenant_id: tenantId,
        raw_sha256: sha256(raw),
        key_id: keys[0]!.key_id,
      });
      expect(verifyReceipt(ack.receipt, keys)).toEqual({ ok: true });
    }
    const first = sent[0]!;
    await expect
      .poll(async () => (await api.messages.get.query({ id: first.ack.message_id })).status, {
        timeout: 20_000,
      })
      .toBe('archived');
    // Same external id, different bytes, later: still the original's receipt.
    const dupRes = await postBearer(endpoint.url, secret, { ...first.payload, body: 'changed' });
    const dup = (await dupRes.json()) as AckWithReceipt;
    expect(dup.status).toBe('duplicate');
    expect(dup.receipt).toEqual(first.ack.receipt);
    expect(await api.messages.receipt.query({ id: first.ack.message_id })).toEqual(first.ack.receipt);
  });

  it("an idle tenant's integrator looks less and less often; a leaf brings it back to every second", async () => {
    const { tenantId: quiet } = await stack.newTenant();
    const settings = { taskQueue: stack.taskQueue, auditIntervalSeconds: 3600, auditSample: 0 };
    await ensureLedgerWorkflows(stack.deps.temporal, quiet, settings);
    const handle = stack.deps.temporal.workflow.getHandle(integratorWorkflowId(quiet));
    const looks = async () =>
      (await handle.fetchHistory()).events?.filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      ).length ?? 0;

    // Nothing to do: it looks after 1, 2, 4, 8 s… (at 1, 3, 7 s), not every second (9 looks).
    await new Promise((r) => setTimeout(r, 9000));
    const idleLooks = await looks();
    expect(idleLooks).toBeGreaterThanOrEqual(2);
    expect(idleLooks).toBeLessThanOrEqual(4);

    // A leaf (as seal records it) is numbered within the idle pause's 10 s cap.
    const messageId = randomUUID();
    await appendLeaf(stack.deps.db, {
      tenantId: quiet,
      messageId,
      manifestSha256: sha256(messageId),
      manifestKey: 'k',
    });
    const indexOf = async () =>
      (await stack.deps.db.select().from(ledgerLeaves).where(eq(ledgerLeaves.messageId, messageId)))[0]
        ?.leafIndex;
    await expect.poll(indexOf, { timeout: 15_000, interval: 250 }).toBe(0);
    // …and then it looks every second again while that leaf awaits its checkpoint.
    const before = await looks();
    await new Promise((r) => setTimeout(r, 3500));
    expect((await looks()) - before).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('the statement that archives a message records its leaf; a retried seal changes nothing, another manifest is refused', async () => {
    const { db } = stack.deps;
    const archivedWithoutLeaf = sql`select count(*)::int as n from messages m where m.tenant_id = ${tenantId}
      and m.status = 'archived' and not exists (select 1 from ledger_leaves l where l.message_id = m.id)`;
    const ids = sent.map((s) => s.ack.message_id);
    await expect
      .poll(
        async () =>
          (await db.select({ status: messages.status }).from(messages)).filter((m) => m.status === 'archived')
            .length,
        { timeout: 20_000 },
      )
      .toBeGreaterThanOrEqual(ids.length);
    expect(rowsOf<{ n: number }>(await db.execute(archivedWithoutLeaf))[0]!.n).toBe(0);

    // The seal's last statement again, as when its activity is retried after it committed.
    const [leaf] = await db.select().from(ledgerLeaves).where(eq(ledgerLeaves.messageId, ids[0]!));
    const ctx = { tenantId, messageId: ids[0]! } as MessageContext;
    const sealed = { manifestKey: leaf!.manifestKey, manifestSha256: leaf!.manifestSha256 };
    await expect(markArchived(db, ctx, sealed)).resolves.toMatchObject({
      created: false,
      firstForTenant: false,
    });
    await expect(markArchived(db, ctx, { ...sealed, manifestSha256: 'f'.repeat(64) })).rejects.toThrow(
      /already logged with another manifest/,
    );
    const after = await db.select().from(ledgerLeaves).where(eq(ledgerLeaves.messageId, ids[0]!));
    expect(after).toEqual([leaf]);
  });

  it('seals a signed checkpoint in WORM, and every message has an inclusion proof to it', async () => {
    const cp = await checkpointOfSize(5);
    const origin = logOrigin(new URL(stack.baseUrl).host, tenantId);
    const verifier = { name: origin, publicKey: Buffer.from(keys[0]!.public_key, 'base64') };
    const parsed = parseCheckpoint(openNote(cp.checkpoint, [verifier]).body);
    expect(parsed).toEqual({ origin, size: 5, rootHash: hex(cp.root_hash) });
    const sealed = await stack.deps.worm.head(`tenants/${tenantId}/ledger/checkpoints/5`);
    expect(sealed?.retainUntil.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);

    const indexes = new Set<number>();
    for (const { ack } of sent) {
      const proof = await api.messages.proof.query({ id: ack.message_id });
      // The leaf is the SHA-256 of the sealed manifest's bytes.
      const m = await api.messages.get.query({ id: ack.message_id });
      const manifest = await stack.deps.worm.get(`tenants/${tenantId}/messages/${m.id}/manifest.json`);
      const chunks: Buffer[] = [];
      for await (const c of manifest) chunks.push(c as Buffer);
      expect(proof.leaf_hash).toBe(leafHash(hex(sha256(Buffer.concat(chunks)))).toString('hex'));
      expect(proof.tree_size).toBe(5);
      expect(
        verifyInclusion(proof.leaf_index, 5, hex(proof.leaf_hash), proof.hashes.map(hex), parsed.rootHash),
      ).toBe(true);
      const tlog = parseTlogProof(proof.tlog_proof);
      expect(tlog.index).toBe(proof.leaf_index);
      expect(tlog.checkpoint).toBe(cp.checkpoint);
      indexes.add(proof.leaf_index);
    }
    expect([...indexes].sort()).toEqual([0, 1, 2, 3, 4]);
  }, 60_000);

  it('a later checkpoint is consistent with the earlier one', async () => {
    const before = await api.ledger.checkpoint.query();
    await send(3);
    const after = await checkpointOfSize(8);
    const c = await api.ledger.consistency.query({ from: before.tree_size, to: after.tree_size });
    expect(c.hashes.length).toBeGreaterThan(0);
    expect(verifyConsistency(5, 8, c.hashes.map(hex), hex(before.root_hash), hex(after.root_hash))).toBe(
      true,
    );
    expect(verifyConsistency(5, 8, c.hashes.map(hex), hex(after.root_hash), hex(after.root_hash))).toBe(
      false,
    );
    await expect(api.ledger.consistency.query({ from: 5, to: 9 })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    await expect(api.ledger.consistency.query({ from: 6, to: 5 })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  }, 60_000);

  it('another tenant sees none of it', async () => {
    const other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    const id = sent[0]!.ack.message_id;
    await expect(other.messages.proof.query({ id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(other.messages.receipt.query({ id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(other.ledger.checkpoint.query()).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect((await other.ledger.status.query()).tree_size).toBe(0);
    await expect(
      other.messages.reconcile.mutate({ endpointId: endpoint.id, items: [{ external_id: 'x' }] }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('reconcile finds a missing id, a mismatched hash and an unexpected id', async () => {
    const [a, b, c] = sent;
    const r = await api.messages.reconcile.mutate({
      endpointId: endpoint.id,
      items: [
        { external_id: a!.payload.external_id, sha256: sha256(a!.raw) },
        { external_id: b!.payload.external_id, sha256: 'f'.repeat(64) },
        { external_id: 'never-sent' },
        ...sent.slice(3).map((s) => ({ external_id: s.payload.external_id })),
      ],
      receivedFrom: new Date(Date.now() - 3_600_000).toISOString(),
      receivedTo: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(r.matched).toBe(1 + sent.length - 3);
    expect(r.missing).toEqual(['never-sent']);
    expect(r.mismatched).toEqual([
      {
        external_id: b!.payload.external_id,
        expected_sha256: 'f'.repeat(64),
        archived_sha256: sha256(b!.raw),
      },
    ]);
    expect(r.unexpected).toEqual([c!.payload.external_id]);
    await expect(
      api.messages.reconcile.mutate({
        endpointId: endpoint.id,
        items: [{ external_id: 'x', sha256: 'nothex' }],
      }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });

  it('flags an endpoint silent for longer than its expectSilenceAtMost', async () => {
    const quiet = await api.endpoints.create.mutate({ name: 'quiet', authMode: 'bearer' });
    expect(
      await api.endpoints.setExpectedCadence.mutate({ id: endpoint.id, expectSilenceAtMost: '6h' }),
    ).toEqual({
      id: endpoint.id,
      expectSilenceAtMostSeconds: 6 * 3600,
    });
    await api.endpoints.setExpectedCadence.mutate({ id: quiet.endpoint.id, expectSilenceAtMost: '90m' });
    let silence = await api.endpoints.silence.query();
    expect(silence.flagged).toBe(0);
    expect(silence.items.find((i) => i.id === endpoint.id)?.lastReceivedAt).not.toBeNull();
    // Two hours later (as far as the expectation knows), the quiet endpoint has still sent nothing.
    await stack.database.db
      .update(endpointCadence)
      .set({ updatedAt: new Date(Date.now() - 2 * 3_600_000) })
      .where(eq(endpointCadence.endpointId, quiet.endpoint.id));
    silence = await api.endpoints.silence.query();
    expect(silence.flagged).toBe(1);
    expect(silence.items.find((i) => i.flagged)).toMatchObject({
      id: quiet.endpoint.id,
      lastReceivedAt: null,
    });

    for (const bad of ['5x', '30s', '0h', '999999d'])
      await expect(
        api.endpoints.setExpectedCadence.mutate({ id: quiet.endpoint.id, expectSilenceAtMost: bad }),
      ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    const other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    await expect(
      other.endpoints.setExpectedCadence.mutate({ id: quiet.endpoint.id, expectSilenceAtMost: '1h' }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect((await other.endpoints.silence.query()).items).toEqual([]);
    await api.endpoints.setExpectedCadence.mutate({ id: quiet.endpoint.id, expectSilenceAtMost: null });
    expect((await api.endpoints.silence.query()).flagged).toBe(0);
  });

  it('scripts/admin reconcile reads ids (and hashes) from a file', async () => {
    const [a, b, c] = sent;
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'reconcile-')), 'ids.txt');
    await writeFile(
      file,
      `# producer's list\n${a!.payload.external_id} ${sha256(a!.raw)}\n${b!.payload.external_id} ${'e'.repeat(64)}\nnever-sent\n`,
    );
    let stdout = '';
    const run = (...argv: string[]) =>
      runCli(argv, {
        stdout: (s) => (stdout += s),
        stderr: () => {},
        env: { API_URL: stack.baseUrl, ADMIN_API_KEY: adminKey },
      });
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    expect(
      await run(
        'reconcile',
        '--endpoint',
        endpoint.id,
        '--file',
        file,
        '--since',
        since,
        '--until',
        until,
        '--json',
      ),
    ).toBe(0);
    const r = JSON.parse(stdout);
    expect(r.matched).toBe(1);
    expect(r.missing).toEqual(['never-sent']);
    expect(r.mismatched.map((m: { external_id: string }) => m.external_id)).toEqual([b!.payload.external_id]);
    expect(r.unexpected).toContain(c!.payload.external_id);
    stdout = '';
    expect(await run('reconcile', '--endpoint', endpoint.id, '--file', file)).toBe(0);
    expect(stdout).toMatch(/^matched 1, missing 1, mismatched 1\n/);
    await writeFile(file, 'id not-a-hash\n');
    expect(await run('reconcile', '--endpoint', endpoint.id, '--file', file)).toBe(2);
    expect(await run('reconcile', '--file', file)).toBe(2);
  });

  it("the tenant's auditor workflow runs on its schedule and reports into ledger.status", async () => {
    await expect
      .poll(async () => (await api.ledger.status.query()).audit?.ok, { timeout: 30_000, interval: 500 })
      .toBe(true);
    const status = await api.ledger.status.query();
    expect(status.audit?.checked_objects).toBeGreaterThan(0);
  }, 40_000);

  it('the audit passes on an intact log, then reports every kind of tampering', async () => {
    for (const { ack } of sent)
      await expect
        .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 20_000 })
        .toBe('archived');
    await checkpointOfSize(8);
    const deps = { db: stack.database.db, worm: stack.deps.worm, evidence: stack.deps.evidence };
    const clean = await auditTenant(deps, tenantId, { sample: Number.POSITIVE_INFINITY, graceMs: 0 });
    expect(clean.problems).toEqual([]);
    expect(clean.ok).toBe(true);
    expect(clean.checkedObjects).toBe(8 * 3);

    const db = stack.database.db;
    const [deleted, altered, objectGone, leafGone] = sent
      .slice(1, 5)
      .map((s) => s.ack.message_id) as string[];
    // 1. Delete a message row.
    await db.delete(attachments).where(eq(attachments.messageId, deleted!));
    await db.delete(messages).where(eq(messages.id, deleted!));
    // 2. Alter a message's raw hash.
    await db
      .update(messages)
      .set({ rawSha256: '0'.repeat(64) })
      .where(eq(messages.id, altered!));
    // 3. Insert a forged, "archived" row the log never saw.
    const [model] = await db.select().from(messages).where(eq(messages.id, sent[0]!.ack.message_id));
    const forged = randomUUID();
    await db.insert(messages).values({
      ...model!,
      id: forged,
      externalId: `forged-${forged}`,
      workflowId: `forged-${forged}`,
      updatedAt: new Date(Date.now() - 3_600_000),
    } as typeof messages.$inferInsert);
    // 4. Delete a sealed object we can reach (the local store's file, behind the store's back).
    await rm(path.join(stack.wormDir, `tenants/${tenantId}/messages/${objectGone}/message.json`), {
      force: true,
    });
    // 5. Delete a leaf row.
    await db.delete(ledgerLeaves).where(eq(ledgerLeaves.messageId, leafGone!));

    const report = await auditTenant(deps, tenantId, { sample: Number.POSITIVE_INFINITY, graceMs: 0 });
    expect(report.ok).toBe(false);
    const found = (kind: string, id?: string) =>
      report.problems.some((p) => p.kind === kind && (!id || p.messageId === id));
    expect(found('message_row_missing', deleted)).toBe(true);
    expect(found('message_altered', altered)).toBe(true);
    expect(found('unlogged_message', forged)).toBe(true);
    expect(found('object_missing', objectGone)).toBe(true);
    expect(found('leaf_missing')).toBe(true);
    expect(found('checkpoint_mismatch')).toBe(true);
    // leafGone's message is now archived but unlogged too.
    expect(found('unlogged_message', leafGone)).toBe(true);

    const status = await api.ledger.status.query();
    expect(status.audit).toMatchObject({ ok: false });
    // (The auditor workflow may have run again since, with its own sample; it still fails.)
    expect(status.audit?.problems.length).toBeGreaterThan(0);
    const entries = await db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(sql`${auditLog.tenantId} = ${tenantId} and ${auditLog.action} like 'ledger.audit_%'`);
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['ledger.audit_passed', 'ledger.audit_failed']),
    );
    // Never healed: the deleted row stays deleted, the forged row stays (and is reported).
    expect(await db.select({ id: messages.id }).from(messages).where(eq(messages.id, deleted!))).toEqual([]);
  }, 90_000);
});
