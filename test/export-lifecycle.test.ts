// An export's life outside the happy path, on real PostgreSQL and Temporal: a start Temporal does
// not take marks the export failed (temporal_unavailable) instead of leaving it `running`, and a
// run that ends without reporting (terminated) is found by exports.get and marked failed; a
// bundle past EXPORT_RETENTION_DAYS is deleted by the retention sweep (row kept, `expired`, 410).
import { existsSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFile } from '../export/build';
import { ensureExportRetentionSchedule, exportRetentionScheduleId } from '../export/retention';
import { exportWorkflowId } from '../lib/ids';
import { freePort } from './helpers/ports';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';

const window = { from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z', formats: ['jsonl' as const] };

/** The row as if nothing had touched it for a minute (get reconciles only quiet rows). */
async function quiet(stack: Stack, id: string) {
  await stack.database.db.execute(
    sql`UPDATE exports SET updated_at = now() - interval '1 minute' WHERE id = ${id}`,
  );
}

describe('an export whose workflow cannot start', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  beforeAll(async () => {
    stack = await startStack({ temporalAddress: `127.0.0.1:${await freePort()}`, worker: false });
    api = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
  }, 120_000);
  afterAll(() => stack?.close());

  it('answers 503 temporal_unavailable, and the export says failed (not running forever)', async () => {
    const err = await trpcError(api.exports.create.mutate(window));
    expect(err.data).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      httpStatus: 503,
      reason: 'temporal_unavailable',
    });
    const { items } = await api.exports.list.query();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^temporal_unavailable: /),
    });
    expect(items[0]?.completedAt).not.toBeNull();
  }, 60_000);
});

describe('an export whose workflow ends without reporting', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  beforeAll(async () => {
    // No worker: the run stays RUNNING in Temporal, waiting for one.
    stack = await startStack({ worker: false });
    api = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
  }, 120_000);
  afterAll(() => stack?.close());

  it('is marked failed by exports.get once Temporal says the run was terminated', async () => {
    const { id } = await api.exports.create.mutate(window);
    // A quiet row whose run is still alive stays running: the check asks Temporal, not the clock.
    await quiet(stack, id);
    expect((await api.exports.get.query({ id })).state).toBe('running');

    await stack.deps.temporal.workflow.getHandle(exportWorkflowId(id)).terminate('test: operator gave up');
    await quiet(stack, id);
    const got = await api.exports.get.query({ id });
    expect(got).toMatchObject({ state: 'failed', error: expect.stringMatching(/^workflow_terminated: /) });
    expect(got.downloadPath).toBeNull();
    expect((await api.exports.list.query()).items.find((e) => e.id === id)?.state).toBe('failed');
  }, 60_000);

  it('is marked failed when its workflow does not exist at all (the server died before the start)', async () => {
    const { id } = await api.exports.create.mutate(window);
    await stack.deps.temporal.workflow.getHandle(exportWorkflowId(id)).terminate('test');
    // A row whose run id points nowhere, as after a crash between the insert and the start.
    await stack.database.db.execute(
      sql`UPDATE exports SET workflow_id = ${`export-missing-${id}`}, updated_at = now() - interval '1 minute' WHERE id = ${id}`,
    );
    expect(await api.exports.get.query({ id })).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^workflow_not_found: /),
    });
  }, 60_000);
});

describe('retention of finished bundles', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  let adminKey: string;
  beforeAll(async () => {
    stack = await startStack();
    ({ adminKey } = await stack.newTenant());
    api = adminClient(stack.baseUrl, adminKey);
  }, 120_000);
  afterAll(() => stack?.close());

  const completed = async () => {
    const { id } = await api.exports.create.mutate(window);
    await expect
      .poll(async () => (await api.exports.get.query({ id })).state, { timeout: 60_000, interval: 200 })
      .toBe('completed');
    return id;
  };
  const download = (id: string) =>
    fetch(`${stack.baseUrl}/api/exports/${id}/download`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });

  it('deletes a bundle older than the retention period; its row says expired and its download 410', async () => {
    const old = await completed();
    const fresh = await completed();
    const file = bundleFile(stack.deps.config.EXPORT_DIR, old);
    expect(existsSync(file)).toBe(true);
    await stack.database.db.execute(
      sql`UPDATE exports SET completed_at = now() - interval '31 days' WHERE id = ${old}`,
    );

    // The sweep as the schedule runs it: the expireExports workflow on the worker.
    const expired = await stack.deps.temporal.workflow.execute('expireExports', {
      workflowId: `test-expire-${old}`,
      taskQueue: stack.taskQueue,
      args: [{ retentionDays: 30 }],
    });
    expect(expired).toBe(1);
    expect(existsSync(file)).toBe(false);
    const row = await api.exports.get.query({ id: old });
    expect(row).toMatchObject({ state: 'expired', downloadPath: null });
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/); // the record of what was exported stays
    const res = await download(old);
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('export_expired');

    // The younger bundle is untouched.
    expect((await api.exports.get.query({ id: fresh })).state).toBe('completed');
    const ok = await download(fresh);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  }, 120_000);

  it('keeps an hourly schedule for the sweep, created once and updated with the setting', async () => {
    const client = stack.deps.temporal;
    await ensureExportRetentionSchedule(client, stack.taskQueue, 30);
    await ensureExportRetentionSchedule(client, stack.taskQueue, 7);
    const handle = client.schedule.getHandle(exportRetentionScheduleId(stack.taskQueue));
    try {
      const d = await handle.describe();
      expect(d.spec.intervals?.[0]?.every).toBe(3_600_000);
      expect(d.action).toMatchObject({
        workflowType: 'expireExports',
        taskQueue: stack.taskQueue,
        args: [{ retentionDays: 7 }],
      });
    } finally {
      await handle.delete();
    }
  }, 60_000);
});
