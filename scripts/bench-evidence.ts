// What evidence costs per message, each against its own baseline measured in the same run:
//   1. the ack path: an HTTP server doing what the ack does (read, SHA-256, parse, one durable
//      INSERT into PostgreSQL, JSON 200), without and with the signed receipt, interleaved rounds;
//   2. the workflow step: appendLeaf (one statement: head if absent + leaf if absent) vs a plain insert.
//   node --import tsx scripts/bench-evidence.ts [--requests 4000] [--concurrency 32] [--rounds 3]
//     [--admin-url postgres://postgres@127.0.0.1:5432/postgres]   (a scratch database is created and dropped)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { listen } from '../apps/runtime';
import { createReceiptSigner } from '../apps/server/evidence/receipt';
import { openDatabase } from '../db/client';
import { tenants } from '../db/schema';
import { openKeyring } from '../evidence/signing-key';
import { appendLeaf } from '../ledger/append';
import { sha256Hex } from '../lib/crypto';
import { runLoad } from './bench/load';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    'admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);

const dbName = `bench_evidence_${randomUUID().slice(0, 8)}`;
const admin = postgres(values['admin-url'] as string, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(values['admin-url'] as string);
dbUrl.pathname = `/${dbName}`;
const database = openDatabase({ url: dbUrl.toString(), maxConnections: concurrency });
const dir = mkdtempSync(path.join(tmpdir(), 'bench-evidence-'));

try {
  await database.migrate();
  const sql = postgres(dbUrl.toString(), { max: concurrency, onnotice: () => {} });
  await sql`CREATE TABLE acks (id uuid PRIMARY KEY, raw bytea NOT NULL, sha256 text NOT NULL, received_at timestamptz NOT NULL)`;
  const signIngestReceipt = createReceiptSigner({ keyring: openKeyring({ DATA_DIR: dir }) });
  const ids = { endpointId: randomUUID(), tenantId: randomUUID() };

  let withReceipt = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const receivedAt = new Date();
      const rawSha256 = sha256Hex(raw);
      const payload = JSON.parse(raw.toString('utf8')) as { external_id: string };
      const messageId = randomUUID();
      await sql`INSERT INTO acks VALUES (${messageId}, ${raw}, ${rawSha256}, ${receivedAt})`;
      const body: Record<string, unknown> = {
        status: 'accepted',
        message_id: messageId,
        external_id: payload.external_id,
      };
      if (withReceipt)
        body.receipt = signIngestReceipt({
          messageId,
          externalId: payload.external_id,
          rawSha256,
          receivedAt,
          ...ids,
        });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, '127.0.0.1', 0);
  const origin = `http://127.0.0.1:${port}`;
  const makeRequests = () =>
    Array.from({ length: requests }, () => ({
      url: new URL(`${origin}/ack`),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ external_id: `m-${randomUUID()}`, body: 'x'.repeat(900) }),
    }));

  await runLoad(origin, makeRequests().slice(0, 500), concurrency); // warm-up
  const rates: { without: number[]; with: number[] } = { without: [], with: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['without', 'with'] as const) {
      withReceipt = mode === 'with';
      const result = await runLoad(origin, makeRequests(), concurrency);
      rates[mode].push(result.perSecond);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const a = median(rates.without);
  const b = median(rates.with);
  console.log(
    `ack path (1 KB JSON, ${concurrency} concurrent, ${rounds} interleaved rounds of ${requests}, median):`,
  );
  console.log(`  without receipt  ${a.toFixed(0)} acks/s`);
  console.log(`  with receipt     ${b.toFixed(0)} acks/s   (${((b / a - 1) * 100).toFixed(1)}%)`);

  // Signing alone, for the per-message CPU figure.
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    signIngestReceipt({
      messageId: ids.tenantId,
      externalId: `m-${i}`,
      rawSha256: 'a'.repeat(64),
      receivedAt: new Date(),
      ...ids,
    });
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(
    `  signIngestReceipt alone: ${us.toFixed(1)} µs per receipt (${(1e6 / us).toFixed(0)}/s on one core)`,
  );
  server.close();

  // The workflow step: appendLeaf against a bare insert of the same row shape, same database.
  const [t] = await database.db.insert(tenants).values({ name: 'bench' }).returning();
  const tenantId = t!.id;
  await sql`CREATE TABLE plain_leaves (message_id uuid PRIMARY KEY, tenant_id uuid, manifest_sha256 text, manifest_key text)`;
  const appends = 4000;
  const lanes = 16;
  const timed = async (fn: (i: number) => Promise<unknown>) => {
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let i = next++; i < appends; i = next++) await fn(i);
      }),
    );
    return appends / ((performance.now() - start) / 1000);
  };
  const plain = await timed(
    (i) =>
      sql`INSERT INTO plain_leaves VALUES (${randomUUID()}, ${tenantId}, ${sha256Hex(String(i))}, ${'k'})`,
  );
  const ledger = await timed((i) =>
    appendLeaf(database.db, {
      tenantId,
      messageId: randomUUID(),
      manifestSha256: sha256Hex(String(i)),
      manifestKey: 'k',
    }),
  );
  console.log(`workflow step (${appends} appends, ${lanes} concurrent, one tenant):`);
  console.log(`  plain insert  ${plain.toFixed(0)}/s`);
  console.log(`  appendLeaf    ${ledger.toFixed(0)}/s   (${((ledger / plain - 1) * 100).toFixed(1)}%)`);
  await sql.end();
} finally {
  await database.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
