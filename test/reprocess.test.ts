// messages.reprocess over the real stack: a message whose archiving failed for real (the
// database refused its row) is archived by a reprocess once the cause is fixed — one row, one
// sealed manifest, audited — and an archived or still-running message is refused with a
// machine-readable reason; a stuck run (no worker to run it) is terminated and replaced under
// the same workflow id. The CLI verb rides the same procedure.

import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { attachments, auditLog, ingestReceipts, messages } from '../db/schema';
import { messagePrefix } from '../worm/keys';
import { LocalWormStore } from '../worm/local-store';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

const STUCK_AFTER_MS = 3000;

describe('messages.reprocess', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  let tenantId: string;
  let adminKey: string;
  let env: Record<string, string>;
  let endpoint: { id: string; url: string };
  let secret: string;
  // A constraint the message row breaks, as a schema drift or an unforeseen value would.
  const poison = `poison-${randomUUID()}`;
  const constraint = `test_reprocess_${randomUUID().replaceAll('-', '')}`;
  let failedId: string;

  const cli = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env });
    return { code, stdout, stderr };
  };
  const status = async (id: string) =>
    (await api.messages.get.query({ id }).catch(() => null))?.status ?? 'absent';
  const reprocessAudits = () =>
    stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, 'message.reprocessed')));

  const file = (filename: string, text: string) => ({
    filename,
    content_type: 'text/plain',
    content_base64: Buffer.from(text).toString('base64'),
  });
  /**
   * Sends `attachments` and a last one that breaks a constraint on the attachments table, so the
   * run fails after storing the others; returns the payload sent and its ack once it has failed.
   */
  const sendFailingAfter = async (attachments: Record<string, string>[]) => {
    const poisonFile = `poison-${randomUUID()}.txt`;
    const attConstraint = `test_resend_${randomUUID().replaceAll('-', '')}`;
    await stack.database.db.execute(
      sql.raw(
        `alter table attachments add constraint ${attConstraint} check (filename is distinct from '${poisonFile}') not valid`,
      ),
    );
    const sent = samplePayload({ attachments: [...attachments, file(poisonFile, 'c')] });
    const ack = (await (await postBearer(endpoint.url, secret, sent)).json()) as Ack;
    try {
      await expect.poll(() => status(ack.message_id), { timeout: 30_000, interval: 250 }).toBe('failed');
    } finally {
      await stack.database.db.execute(sql.raw(`alter table attachments drop constraint ${attConstraint}`));
    }
    return { sent, ack };
  };

  beforeAll(async () => {
    stack = await startStack({ env: { STUCK_AFTER_MS: String(STUCK_AFTER_MS) } });
    const t = await stack.newTenant();
    tenantId = t.tenantId;
    adminKey = t.adminKey;
    env = { API_URL: stack.baseUrl, ADMIN_API_KEY: t.adminKey };
    api = adminClient(stack.baseUrl, t.adminKey);
    ({ endpoint, secret } = await api.endpoints.create.mutate({ name: 'reprocess', authMode: 'bearer' }));
    await stack.database.db.execute(
      sql.raw(
        `alter table messages add constraint ${constraint} check (body is distinct from '${poison}') not valid`,
      ),
    );
  });
  afterAll(async () => {
    await stack?.database.db.execute(sql.raw(`alter table messages drop constraint if exists ${constraint}`));
    await stack?.close();
  });

  it('archives a failed message from its stored bytes: one row, one manifest, audited', async () => {
    const payload = samplePayload({ body: poison });
    const ack = (await (await postBearer(endpoint.url, secret, payload)).json()) as Ack;
    failedId = ack.message_id;
    await expect.poll(() => status(failedId), { timeout: 30_000, interval: 250 }).toBe('failed');

    // The operator fixes the cause, then reprocesses: no resend from the producer.
    await stack.database.db.execute(sql.raw(`alter table messages drop constraint ${constraint}`));
    const result = await api.messages.reprocess.mutate({ id: failedId });
    expect(result).toEqual({
      messageId: failedId,
      workflowId: ack.workflow_id,
      previous: 'failed',
      started: true,
    });
    await expect.poll(() => status(failedId), { timeout: 30_000, interval: 250 }).toBe('archived');

    const m = await api.messages.get.query({ id: failedId });
    expect(m).toMatchObject({ body: poison, error: null, externalId: payload.external_id });
    expect(m.manifestKey).toBe(`${messagePrefix(tenantId, failedId)}/manifest.json`);
    const rows = await stack.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.endpointId, endpoint.id), eq(messages.externalId, payload.external_id)));
    expect(rows).toEqual([{ id: failedId }]);
    const [receipt] = await stack.database.db
      .select({ state: ingestReceipts.state, error: ingestReceipts.error })
      .from(ingestReceipts)
      .where(eq(ingestReceipts.id, failedId));
    expect(receipt).toEqual({ state: 'archived', error: null });
    // Exactly one manifest sealed for the message, and it verifies.
    const sealed = readdirSync(path.join(stack.wormDir, messagePrefix(tenantId, failedId)));
    expect(sealed.filter((f) => f.startsWith('manifest') && !f.endsWith('.meta.json'))).toEqual([
      'manifest.json',
    ]);
    expect((await api.messages.verify.mutate({ id: failedId })).ok).toBe(true);

    const audits = await reprocessAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      targetId: failedId,
      actor: expect.stringMatching(/^admin_key:/),
      details: expect.objectContaining({
        previous: 'failed',
        error: expect.stringMatching(/^DataError: 23514/),
      }),
    });
  });

  it('a failed message sent again with fewer attachments is sealed with only the ones it declares', async () => {
    // The first send fails after two of its three attachments were stored.
    const { sent: first, ack } = await sendFailingAfter([file('a.txt', 'a'), file('b.txt', 'b')]);
    const [stored] = await stack.database.db
      .select({ wormKey: attachments.wormKey })
      .from(attachments)
      .where(and(eq(attachments.messageId, ack.message_id), eq(attachments.ordinal, 0)));

    // The producer sends it again with only the first attachment: the record is this message.
    const again = { ...first, body: 'sent again', attachments: [file('a.txt', 'a')] };
    const res = await postBearer(endpoint.url, secret, again);
    expect(((await res.json()) as Ack).status).toBe('accepted');
    await expect.poll(() => status(ack.message_id), { timeout: 30_000, interval: 250 }).toBe('archived');
    const manifest = JSON.parse(
      readFileSync(
        path.join(stack.wormDir, messagePrefix(tenantId, ack.message_id), 'manifest.json'),
        'utf8',
      ),
    ) as { retain_until: string; attachments: { ordinal: number; filename: string; key: string }[] };
    expect(manifest.attachments.map((a) => [a.ordinal, a.filename])).toEqual([[0, 'a.txt']]);
    // The same attachment at the same position is the failed run's object, reused (not sealed
    // again under this payload's key), and kept at least as long as the resend's manifest says.
    expect(manifest.attachments[0]!.key).toBe(stored!.wormKey);
    const reused = await new LocalWormStore(stack.wormDir).head(stored!.wormKey!);
    expect(reused!.retainUntil.getTime()).toBeGreaterThanOrEqual(Date.parse(manifest.retain_until));
    const shown = await api.messages.get.query({ id: ack.message_id });
    expect(shown.attachments.map((a) => a.filename)).toEqual(['a.txt']);
    expect((await api.messages.verify.mutate({ id: ack.message_id })).ok).toBe(true);
  });

  it('a failed message sent again with other attachments at the same positions seals the new ones', async () => {
    // The first send fails after recording a URL attachment (position 0, not fetched yet) and
    // storing an inline one (position 1).
    const { sent: first, ack } = await sendFailingAfter([
      { filename: 'remote.pdf', content_type: 'application/pdf', url: 'https://files.invalid/remote.pdf' },
      file('a.txt', 'first version'),
    ]);

    // Sent again: position 0 is now inline, position 1 has other bytes. Before attachment keys
    // named the payload's hash, position 1's object collided with the failed run's (a WORM key
    // is written once) and the acknowledged resend failed for good.
    const again = { ...first, attachments: [file('x.txt', 'inline now'), file('a.txt', 'second version')] };
    const res = await postBearer(endpoint.url, secret, again);
    expect(((await res.json()) as Ack).status).toBe('accepted');
    await expect.poll(() => status(ack.message_id), { timeout: 30_000, interval: 250 }).toBe('archived');

    const shown = await api.messages.get.query({ id: ack.message_id });
    expect(shown.attachments.map((a) => [a.ordinal, a.filename, a.source, a.url, a.status])).toEqual([
      [0, 'x.txt', 'inline', null, 'stored'],
      [1, 'a.txt', 'inline', null, 'stored'],
    ]);
    const download = async (n: number) =>
      (
        await fetch(`${stack.baseUrl}/api/messages/${ack.message_id}/attachments/${n}`, {
          headers: { authorization: `Bearer ${adminKey}` },
        })
      ).text();
    expect(await download(0)).toBe('inline now');
    expect(await download(1)).toBe('second version');
    expect((await api.messages.verify.mutate({ id: ack.message_id })).ok).toBe(true);
  });

  it('refuses an archived message with the reason message_archived, changing nothing', async () => {
    const err = await trpcError(api.messages.reprocess.mutate({ id: failedId }));
    expect(err.data).toMatchObject({ code: 'CONFLICT', httpStatus: 409, reason: 'message_archived' });
    expect(await reprocessAudits()).toHaveLength(1);
    // The CLI says the same, with the reason a script can match on.
    const out = await cli('messages', 'reprocess', failedId);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: CONFLICT \(message_archived\): message is archived/);
  });

  it('an unknown or malformed id is NOT_FOUND or BAD_REQUEST', async () => {
    expect((await trpcError(api.messages.reprocess.mutate({ id: randomUUID() }))).data?.code).toBe(
      'NOT_FOUND',
    );
    expect((await trpcError(api.messages.reprocess.mutate({ id: 'nope' }))).data?.code).toBe('BAD_REQUEST');
  });

  it('refuses a run in progress, then terminates the stuck run and archives it under the same id', async () => {
    await stack.stopWorker(); // nothing runs the workflow: it stays open, as a stuck run does
    const ack = (await (await postBearer(endpoint.url, secret, samplePayload())).json()) as Ack;
    const handle = stack.deps.temporal.workflow.getHandle(ack.workflow_id);
    // The relay starts the run right after the ack.
    await expect
      .poll(
        () =>
          handle.describe().then(
            (d) => d.status.name,
            (e) => (e instanceof WorkflowNotFoundError ? null : Promise.reject(e)),
          ),
        {
          timeout: 15_000,
          interval: 100,
        },
      )
      .toBe('RUNNING');
    const { runId } = await handle.describe();

    const early = await trpcError(api.messages.reprocess.mutate({ id: ack.message_id }));
    expect(early.data).toMatchObject({ code: 'CONFLICT', reason: 'message_in_progress' });

    await new Promise((r) => setTimeout(r, STUCK_AFTER_MS + 200));
    expect((await api.messages.counts.query({ endpointId: endpoint.id })).stuck).toBe(1);
    const out = await cli('messages', 'reprocess', ack.message_id, '--json');
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toMatchObject({ previous: 'stuck', started: true });

    // The old run was terminated, a new one holds the id.
    const old = await stack.deps.temporal.workflow.getHandle(ack.workflow_id, runId).describe();
    expect(old.status.name).toBe('TERMINATED');
    const current = await stack.deps.temporal.workflow.getHandle(ack.workflow_id).describe();
    expect(current.runId).not.toBe(runId);

    await stack.startWorker();
    await expect.poll(() => status(ack.message_id), { timeout: 30_000, interval: 250 }).toBe('archived');
    // The run ends (after its ledger step) completed: the new run did the work.
    await expect
      .poll(async () => (await handle.describe()).status.name, { timeout: 15_000, interval: 250 })
      .toBe('COMPLETED');
    const rows = await stack.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.id, ack.message_id));
    expect(rows).toHaveLength(1);
    expect((await reprocessAudits()).map((a) => a.targetId)).toContain(ack.message_id);
  });
});
