// messages.counts' `stuck`: acknowledged, unarchived and not failed for longer than
// STUCK_AFTER_MS. Rows are written directly with their ages (what a run that keeps retrying
// leaves behind), then read through the API, the CLI and the db function.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { ingestReceipts, messages } from '../db/schema';
import { stuckMessageCount } from '../db/stuck';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';

const MIN = 60_000;

describe('messages.counts stuck', () => {
  let stack: Stack;
  let tenant: { tenantId: string; adminKey: string };
  let api: ReturnType<typeof adminClient>;
  let endpointA: string;
  let endpointB: string;

  const receiptState = {
    received: 'started',
    stored: 'started',
    archived: 'archived',
    failed: 'failed',
  } as const;
  const receipts: (typeof ingestReceipts.$inferInsert)[] = [];
  const row = (endpointId: string, status: 'received' | 'stored' | 'archived' | 'failed', ageMs: number) => {
    const id = randomUUID();
    // Stuck is counted on the receipts: each message row has its receipt, as the ack wrote it.
    receipts.push({
      id,
      tenantId: tenant.tenantId,
      endpointId,
      externalId: `stuck-${id}`,
      receivedAt: new Date(Date.now() - ageMs),
      rawSha256: '0'.repeat(64),
      rawSize: 2,
      authMode: 'bearer',
      requestId: randomUUID(),
      retentionDays: 1,
      workflowId: `archive-${id}`,
      state: receiptState[status],
      // Out of every relay's way: these rows stand for runs that keep retrying, not new work.
      nextRelayAt: new Date(Date.now() + 24 * 60 * MIN),
    });
    return {
      id,
      tenantId: tenant.tenantId,
      endpointId,
      externalId: `stuck-${id}`,
      receivedAt: new Date(Date.now() - ageMs),
      rawSha256: '0'.repeat(64),
      rawSize: 2,
      requestId: randomUUID(),
      workflowId: `archive-${id}`,
      status,
    };
  };

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    tenant = await stack.newTenant();
    api = adminClient(stack.baseUrl, tenant.adminKey);
    endpointA = (await api.endpoints.create.mutate({ name: 'a', authMode: 'bearer' })).endpoint.id;
    endpointB = (await api.endpoints.create.mutate({ name: 'b', authMode: 'bearer' })).endpoint.id;
    await stack.database.db.insert(messages).values([
      row(endpointA, 'stored', 10 * MIN), // stuck
      row(endpointA, 'received', 6 * MIN), // stuck
      row(endpointA, 'received', 1 * MIN), // in progress, not yet stuck
      row(endpointA, 'failed', 60 * MIN), // final: counted as failed
      row(endpointA, 'archived', 60 * MIN),
      row(endpointB, 'stored', 30 * MIN), // stuck
    ]);
    await stack.database.db.insert(ingestReceipts).values(receipts);
  });
  afterAll(() => stack?.close());

  it('counts unfinished messages older than the threshold, per tenant and endpoint', async () => {
    expect(await api.messages.counts.query({})).toMatchObject({
      total: 6,
      received: 2,
      stored: 2,
      failed: 1,
      archived: 1,
      stuck: 3,
      stuckAfterMs: 5 * MIN,
    });
    expect(await api.messages.counts.query({ endpointId: endpointA })).toMatchObject({ stuck: 2, total: 5 });
    expect(await api.messages.counts.query({ endpointId: endpointB })).toMatchObject({ stuck: 1, total: 1 });
  });

  it('another tenant sees none of them', async () => {
    const other = await stack.newTenant();
    const theirs = adminClient(stack.baseUrl, other.adminKey);
    expect(await theirs.messages.counts.query({})).toMatchObject({ total: 0, stuck: 0 });
    expect(await theirs.messages.counts.query({ endpointId: endpointA })).toMatchObject({
      total: 0,
      stuck: 0,
    });
  });

  it('follows the threshold', async () => {
    const count = (olderThanMs: number, endpointId?: string) =>
      stuckMessageCount(stack.database.db, { tenantId: tenant.tenantId, endpointId, olderThanMs });
    expect(await count(30 * 1000)).toBe(4);
    expect(await count(7 * MIN)).toBe(2);
    expect(await count(7 * MIN, endpointA)).toBe(1);
    expect(await count(2 * 60 * MIN)).toBe(0);
  });

  it('is printed by scripts/admin messages counts', async () => {
    let stdout = '';
    const env = { API_URL: stack.baseUrl, ADMIN_API_KEY: tenant.adminKey };
    const code = await runCli(['messages', 'counts'], {
      stdout: (s) => (stdout += s),
      stderr: () => {},
      env,
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^stuck:\s+3 {2}\(unarchived for over 5 min\)$/m);
    expect(stdout).toMatch(/^failed:\s+1$/m);
    expect(stdout).toMatch(/^in progress:\s+4$/m);

    let json = '';
    await runCli(['messages', 'counts', '--endpoint', endpointB, '--json'], {
      stdout: (s) => (json += s),
      stderr: () => {},
      env,
    });
    expect(JSON.parse(json)).toMatchObject({ stuck: 1, total: 1 });
  });
});
