// A deterministic data error is never retried forever in silence: classified from real database
// errors, and end to end a message whose row PostgreSQL refuses ends `failed`, with the reason,
// an audit entry and an error-level log, while infrastructure errors stay retryable.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '../activities/errors';
import { toFailure } from '../activities/failures';
import { type Database, openDatabase } from '../db/client';
import { auditLog } from '../db/schema';
import { createLogger } from '../lib/logger';
import { NON_RETRYABLE } from '../workflows/types';
import { testDatabaseUrl } from './helpers/database';
import { freePort } from './helpers/ports';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the query to fail');
};

describe('classifyError, on real database errors', () => {
  let pg: ReturnType<typeof postgres>;
  let lite: PGlite;
  let database: Database;
  beforeAll(async () => {
    const url = await testDatabaseUrl();
    database = openDatabase({ url, maxConnections: 1 });
    pg = postgres(url, { max: 1 });
    lite = new PGlite();
  });
  afterAll(async () => {
    await pg?.end();
    await lite?.close();
    await database.close();
  });

  it('data exceptions (22xxx) from postgres.js, drizzle and PGlite are data errors', async () => {
    expect(classifyError(await caught(pg.unsafe('select $1::text', ['a\u0000b'])))).toMatchObject({
      kind: 'data',
      sqlstate: '22021',
    });
    const viaDrizzle = classifyError(
      await caught(database.db.execute(sql`select ${'"\\udfaa"'}::text::jsonb`)),
    );
    expect(viaDrizzle).toMatchObject({ kind: 'data', sqlstate: '22P02' });
    // The database's own message, not drizzle's "Failed query: … params: …" (which quotes values).
    expect(viaDrizzle.kind === 'data' && viaDrizzle.message).not.toMatch(/Failed query|params/);
    expect(classifyError(await caught(lite.query(`select '"\\u0000"'::jsonb`)))).toMatchObject({
      kind: 'data',
      sqlstate: '22P05',
    });
  });

  it('constraint violations (23xxx) are data errors, but a unique-violation race is retried', async () => {
    const t = `classify_${randomUUID().replaceAll('-', '')}`;
    await pg.unsafe(`create temp table ${t} (id int primary key, v int not null check (v > 0))`);
    expect(classifyError(await caught(pg.unsafe(`insert into ${t} values (1, 0)`)))).toMatchObject({
      kind: 'data',
      sqlstate: '23514',
    });
    expect(classifyError(await caught(pg.unsafe(`insert into ${t} values (1, null)`)))).toMatchObject({
      kind: 'data',
      sqlstate: '23502',
    });
    await pg.unsafe(`insert into ${t} values (1, 1)`);
    expect(classifyError(await caught(pg.unsafe(`insert into ${t} values (1, 1)`)))).toEqual({
      kind: 'infrastructure',
    });
  });

  it('connection failures, missing tables and plain errors are infrastructure (retried)', async () => {
    const dead = postgres(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, {
      max: 1,
      connect_timeout: 2,
    });
    try {
      expect(classifyError(await caught(dead.unsafe('select 1')))).toEqual({ kind: 'infrastructure' });
    } finally {
      await dead.end();
    }
    expect(classifyError(await caught(pg.unsafe('select * from no_such_table_here')))).toEqual({
      kind: 'infrastructure',
    });
    // A Node system error's code is not a SQLSTATE, even when it looks like one.
    expect(classifyError(Object.assign(new Error('x'), { code: '22000' }))).toEqual({
      kind: 'infrastructure',
    });
    expect(classifyError(new Error('socket hang up'))).toEqual({ kind: 'infrastructure' });
  });

  it('maps a data error to a non-retryable DataError and logs it at error level', async () => {
    const lines: string[] = [];
    const log = createLogger(
      'info',
      new Writable({
        write(chunk, _e, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    );
    const failure = toFailure(await caught(pg.unsafe('select $1::text', ['\u0000'])), log, 'persist');
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: true, type: NON_RETRYABLE.data });
    const entry = JSON.parse(lines.at(-1)!);
    expect(entry).toMatchObject({ level: 50, activity: 'persist', sqlstate: '22021' });

    const retryable = new Error('connection reset');
    expect(toFailure(retryable, log, 'persist')).toBe(retryable);
  });
});

describe('a data error in persist, end to end', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  let tenantId: string;
  // A constraint the message row breaks, as a schema drift or an unforeseen value would.
  const poison = `poison-${randomUUID()}`;
  const constraint = `test_poison_${randomUUID().replaceAll('-', '')}`;

  beforeAll(async () => {
    stack = await startStack();
    const t = await stack.newTenant();
    tenantId = t.tenantId;
    api = adminClient(stack.baseUrl, t.adminKey);
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

  it('ends failed with the reason, audited and logged; a resend after the fix archives', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'poison', authMode: 'bearer' });
    const payload = samplePayload({ body: poison });
    const res = await postBearer(endpoint.url, secret, payload);
    expect(res.status).toBe(200);
    const ack = (await res.json()) as Ack;

    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id }).catch(() => null))?.status, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe('failed');
    const m = await api.messages.get.query({ id: ack.message_id });
    expect(m.error).toMatch(/^DataError: 23514 .*check constraint/);
    const audits = await stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, 'message.failed')));
    expect(audits.map((a) => a.targetId)).toEqual([ack.message_id]);
    const logged = stack.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg?.startsWith('deterministic data error'));
    expect(logged).toEqual([expect.objectContaining({ level: 50, activity: 'prepare', sqlstate: '23514' })]);
    // Failed is final, so it is not counted as stuck.
    expect(await api.messages.counts.query({ endpointId: endpoint.id })).toMatchObject({
      failed: 1,
      stuck: 0,
    });

    // The operator fixes the cause; the producer's resend is a new attempt, not a duplicate.
    await stack.database.db.execute(sql.raw(`alter table messages drop constraint ${constraint}`));
    const again = (await (await postBearer(endpoint.url, secret, payload)).json()) as Ack;
    expect(again).toMatchObject({ status: 'accepted', message_id: ack.message_id });
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe('archived');
    expect((await api.messages.get.query({ id: ack.message_id })).body).toBe(poison);
  });
});
