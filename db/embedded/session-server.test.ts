// The PGlite session server (the embedded database's process) over its Unix socket, with the
// postgres.js driver the application uses: connections must never see each other's transactions
// or half-finished extended-protocol exchanges, and one that goes away mid-transaction must not
// leave the session held or its writes behind.
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteSessionServer } from './session-server';

const socketPath = path.join(mkdtempSync(path.join(tmpdir(), 'pglite-sock-')), 'db.sock');
let pglite: PGlite;
let server: PgliteSessionServer;
let sql: postgres.Sql;
const fatal: unknown[] = [];

const client = (max = 10) =>
  postgres({ path: socketPath, user: 'postgres', database: 'postgres', max, onnotice: () => {} });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  pglite = await PGlite.create();
  server = new PgliteSessionServer(pglite, { onFatal: (err) => fatal.push(err) });
  await server.listen(socketPath);
  sql = client();
  await sql`CREATE TABLE t (id int PRIMARY KEY, who text NOT NULL)`;
});

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await server?.close();
  await pglite?.close();
  expect(fatal).toEqual([]);
});

/** Startup, then one simple query, on a raw socket; resolves once the query's answer began. */
async function rawSession(query: string): Promise<import('node:net').Socket> {
  const socket = connect(socketPath);
  await new Promise((r) => socket.once('connect', r));
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4);
  params.copy(startup, 8);
  let seen = Buffer.alloc(0);
  socket.on('data', (d) => {
    seen = Buffer.concat([seen, d]);
  });
  socket.write(startup);
  await waitFor(() => seen.includes(Buffer.from('Z\0\0\0\x05I')));
  seen = Buffer.alloc(0);
  const body = Buffer.from(`${query}\0`);
  const msg = Buffer.alloc(5 + body.length);
  msg.write('Q', 0);
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  socket.write(msg);
  await waitFor(() => seen.includes(Buffer.from('Z\0\0\0\x05')));
  return socket;
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

describe('PgliteSessionServer', () => {
  it('answers many concurrent parameterised queries of different texts, each with its own result', async () => {
    // postgres.js parses each as the unnamed statement, waits for its parameter types, then binds
    // it: other connections' Parses in between must not change what it binds.
    const results = await Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        const k = i % 7;
        const [row] = await sql.unsafe(`SELECT $1::int + ${k} AS v${k}, $2::text AS s`, [i, `n${i}`]);
        return row;
      }),
    );
    results.forEach((row, i) => {
      const k = i % 7;
      expect(row).toEqual({ [`v${k}`]: i + k, s: `n${i}` });
    });
  });

  it("keeps one connection's statements out of another's open transaction", async () => {
    // A opens a transaction, writes, waits, then rolls back; meanwhile B writes outside it. If B's
    // statement ran inside A's transaction (interleaved sessions), A's rollback would take it too.
    const a = sql
      .begin(async (tx) => {
        await tx`INSERT INTO t VALUES (1, 'a')`;
        await sleep(100);
        throw new Error('roll back');
      })
      .catch((err: Error) => err.message);
    await sleep(20);
    await sql`INSERT INTO t VALUES (2, 'b')`;
    expect(await a).toBe('roll back');
    const rows = await sql<{ id: number; who: string }[]>`SELECT id, who FROM t ORDER BY id`;
    expect(rows).toEqual([{ id: 2, who: 'b' }]);
  });

  it('commits concurrent transactions from many connections, none lost or mixed', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO t VALUES (${100 + i}, ${`tx${i}`})`;
          await sleep(i % 3);
          await tx`UPDATE t SET who = who || '!' WHERE id = ${100 + i}`;
        }),
      ),
    );
    const rows = await sql<{ id: number; who: string }[]>`SELECT id, who FROM t WHERE id >= 100 ORDER BY id`;
    expect(rows).toEqual(Array.from({ length: 40 }, (_, i) => ({ id: 100 + i, who: `tx${i}!` })));
  });

  it('an error on one connection leaves the others and the session usable', async () => {
    const [bad, good] = await Promise.allSettled([
      sql`SELECT 1 / ${0}::int AS boom`,
      sql<{ ok: number }[]>`SELECT ${7}::int AS ok`,
    ]);
    expect(bad.status).toBe('rejected');
    expect(good).toMatchObject({ status: 'fulfilled', value: [{ ok: 7 }] });
    expect((await sql<{ n: number }[]>`SELECT ${1}::int AS n`)[0]!.n).toBe(1);
  });

  it("closes a gone connection's prepared statements (the session outlives every connection)", async () => {
    // Unnamed itself, or counting would prepare one more statement per pooled connection.
    const prepared = async () =>
      Number(
        (
          await sql.unsafe('SELECT count(*)::int AS n FROM pg_prepared_statements', [], { prepare: false })
        )[0]!.n,
      );
    const before = await prepared();
    const other = client(3);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        other.unsafe(`SELECT $1::int + ${i % 4} AS x`, [i], { prepare: true }),
      ),
    );
    expect(await prepared()).toBeGreaterThan(before); // they live in the shared session
    await other.end({ timeout: 1 });
    await expect.poll(prepared, { timeout: 5000, interval: 20 }).toBe(before);
  });

  it('a message with an impossible length closes that connection, and the server goes on', async () => {
    for (const bad of [
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), // startup packet of length 0
      Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff]), // Query of length -1, after a valid startup
    ]) {
      const socket = bad[0] === 0 ? connect(socketPath) : await rawSession('SELECT 1');
      await new Promise((r) => (socket.connecting ? socket.once('connect', r) : r(undefined)));
      const closed = new Promise((r) => socket.once('close', r));
      socket.write(bad);
      await closed;
    }
    expect((await sql<{ n: number }[]>`SELECT ${5}::int AS n`)[0]!.n).toBe(5);
  });

  it('a connection that vanishes mid-transaction releases the session and leaves nothing behind', async () => {
    const gone = await rawSession("BEGIN; INSERT INTO t VALUES (500, 'abandoned')");
    // It holds the session: another connection's query waits for it...
    const other = client(1);
    let answered = false;
    const pending = other`SELECT count(*)::int AS n FROM t WHERE id = 500`.then((r) => {
      answered = true;
      return r[0]!.n;
    });
    await sleep(200);
    expect(answered).toBe(false);
    // ...until it goes away: its transaction is rolled back, and the waiting query runs.
    gone.destroy();
    expect(await pending).toBe(0);
    await other.end({ timeout: 1 });
    expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM t WHERE id = 500`)[0]!.n).toBe(0);
  });
});
