// Export throughput: the four export steps (export/build.ts, as the worker runs them) over N
// archived messages, against a plain `zip -r` of the same raw bodies and attachments in the same
// run; and the process's peak RSS while exporting (streams, not buffers: it must not grow with N).
//   node --import tsx scripts/bench-export.ts [--messages 10000] [--attachment-bytes 4096]
//     [--admin-url postgres://postgres@127.0.0.1:5432/postgres]   (a scratch database is created and dropped)
// Messages are seeded straight into the database and the local WORM store in the sealed shape
// (receipt, message row, raw body, attachment, manifest, log leaf, checkpoint): the ingest path
// has its own benchmarks.
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { type Dirent, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { createTenantWithKey } from '../apps/server/bootstrap';
import { openDatabase } from '../db/client';
import { attachments, endpoints, exportJobs, ingestReceipts, messages } from '../db/schema';
import { openKeyring } from '../evidence/signing-key';
import { finalizeExport, prepareExport, stageMessages, stageRsmf } from '../export/build';
import { appendLeaf, sequenceLeaves } from '../ledger/append';
import { integrate } from '../ledger/integrate';
import { messageIdFor } from '../lib/ids';
import { createLogger } from '../lib/logger';
import { attachmentKey, manifestKey, messageRecordKey, rawBodyKey, retainUntil } from '../worm/keys';
import { LocalWormStore } from '../worm/local-store';
import { MANIFEST_VERSION, manifestBytes } from '../worm/manifest';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    'attachment-bytes': { type: 'string', default: '4096' },
    'admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const N = Number(values.messages);
const ATT = Number(values['attachment-bytes']);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const dbName = `bench_export_${randomUUID().slice(0, 8)}`;
const admin = postgres(values['admin-url'] as string, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(values['admin-url'] as string);
dbUrl.pathname = `/${dbName}`;
const database = openDatabase({ url: dbUrl.toString(), maxConnections: 8 });
const dir = mkdtempSync(path.join(tmpdir(), 'bench-export-'));

try {
  await database.migrate();
  const db = database.db;
  const worm = new LocalWormStore(path.join(dir, 'worm'));
  const keyring = openKeyring({ DATA_DIR: dir });
  const evidence = { keyring, logHost: 'bench.invalid', auditSample: 0, auditIntervalSeconds: 3600 };
  const { tenantId } = await createTenantWithKey(db, 'bench');
  const [ep] = await db
    .insert(endpoints)
    .values({
      tenantId,
      name: 'bench',
      tokenHash: randomUUID(),
      tokenSealed: 'x',
      authMode: 'bearer',
      secretSealed: 'x',
    })
    .returning();
  const endpointId = ep!.id;

  // --- seed N sealed messages ---
  const seedStart = performance.now();
  const until = retainUntil(new Date(), 1);
  for (let i = 0; i < N; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, N - i) }, async (_, k) => {
        const n = i + k;
        const externalId = `bench-${n}`;
        const id = messageIdFor(endpointId, externalId);
        const att = Buffer.alloc(ATT, n % 251);
        const payload = {
          external_id: externalId,
          occurred_at: new Date(Date.UTC(2026, 4, 1 + (n % 5), 12, 0, n % 60)).toISOString(),
          from: { identifier: 'alice@example.com' },
          to: [{ identifier: 'bob@example.com' }],
          body: `benchmark message ${n} `.repeat(20),
          attachments: [
            {
              filename: 'a.bin',
              content_type: 'application/octet-stream',
              content_base64: att.toString('base64'),
            },
          ],
        };
        const raw = Buffer.from(JSON.stringify(payload));
        const receivedAt = new Date();
        await db.insert(ingestReceipts).values({
          id,
          tenantId,
          endpointId,
          externalId,
          raw,
          rawSha256: sha(raw),
          rawSize: raw.length,
          authMode: 'bearer',
          receivedAt,
          requestId: randomUUID(),
          retentionDays: 1,
          workflowId: `bench-${id}`,
          state: 'archived',
        });
        const rawPut = await worm.put(rawBodyKey(tenantId, sha(raw)), raw, {
          contentType: 'application/json',
          retainUntil: until,
        });
        const record = Buffer.from(JSON.stringify({ message_id: id, body: payload.body }));
        const recPut = await worm.put(messageRecordKey(tenantId, id), record, {
          contentType: 'application/json',
          retainUntil: until,
        });
        const attPut = await worm.put(attachmentKey(tenantId, id, 0), att, {
          contentType: 'application/octet-stream',
          retainUntil: until,
        });
        const manifest = manifestBytes({
          manifest_version: MANIFEST_VERSION,
          tenant_id: tenantId,
          endpoint: { id: endpointId, name: 'bench', auth_mode: 'bearer' },
          message_id: id,
          external_id: externalId,
          workflow_id: `bench-${id}`,
          request_id: 'r',
          source_ip: null,
          received_at: receivedAt.toISOString(),
          retain_until: until.toISOString(),
          raw_body: { key: rawPut.key, sha256: rawPut.sha256, size: rawPut.size },
          record: { key: recPut.key, sha256: recPut.sha256, size: recPut.size },
          attachments: [
            {
              ordinal: 0,
              filename: 'a.bin',
              content_type: 'application/octet-stream',
              source: 'inline',
              url: null,
              status: 'stored',
              key: attPut.key,
              sha256: attPut.sha256,
              size: attPut.size,
              error: null,
              provenance: null,
            },
          ],
        });
        const mPut = await worm.put(manifestKey(tenantId, id), manifest, {
          contentType: 'application/json',
          retainUntil: until,
        });
        await db.insert(messages).values({
          id,
          tenantId,
          endpointId,
          externalId,
          occurredAt: new Date(payload.occurred_at),
          receivedAt,
          from: payload.from,
          to: payload.to,
          body: payload.body,
          attachmentCount: 1,
          rawSha256: sha(raw),
          rawSize: raw.length,
          requestId: 'r',
          workflowId: `bench-${id}`,
          status: 'archived',
          manifestKey: mPut.key,
          archivedAt: receivedAt,
        });
        await db.insert(attachments).values({
          tenantId,
          messageId: id,
          ordinal: 0,
          filename: 'a.bin',
          contentType: 'application/octet-stream',
          source: 'inline',
          size: att.length,
          sha256: attPut.sha256,
          status: 'stored',
          wormKey: attPut.key,
        });
        await appendLeaf(db, { tenantId, messageId: id, manifestSha256: mPut.sha256, manifestKey: mPut.key });
      }),
    );
  }
  const size = await sequenceLeaves(db, tenantId);
  await integrate({ db, worm, evidence }, tenantId, size);
  const seedS = (performance.now() - seedStart) / 1000;

  // --- baseline: plain zip of the same raw bodies and attachments ---
  const tenantDir = path.join(dir, 'worm', 'tenants', tenantId);
  const plainZip = path.join(dir, 'plain.zip');
  const zipStart = performance.now();
  execFileSync(
    'zip',
    ['-q', '-r', plainZip, 'raw', 'messages', '-x', '*.meta.json', '*/message.json', '*/manifest.json'],
    {
      cwd: tenantDir,
    },
  );
  const zipS = (performance.now() - zipStart) / 1000;
  const plainBytes = statSync(plainZip).size;

  // --- the export, step by step, as the worker runs it ---
  const exportDir = path.join(dir, 'exports');
  const id = randomUUID();
  await db.insert(exportJobs).values({
    id,
    tenantId,
    requestedBy: 'bench',
    workflowId: `export-${id}`,
    filters: {
      endpointId,
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      formats: ['eml', 'jsonl', 'rsmf'],
    },
  });
  const x = { db, worm, evidence, exportDir, log: createLogger('warn') };
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  await prepareExport(x, id);
  const t1 = performance.now();
  await stageMessages(x, id, undefined, () => {});
  const t2 = performance.now();
  await stageRsmf(x, id, 0, () => {});
  const t3 = performance.now();
  const bundle = await finalizeExport(x, id);
  const t4 = performance.now();
  clearInterval(sampler);
  const exportS = (t4 - t0) / 1000;

  const inputBytes = (() => {
    let total = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }) as Dirent[]) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (!e.name.endsWith('.meta.json') && e.name !== 'message.json' && e.name !== 'manifest.json')
          total += statSync(p).size;
      }
    };
    walk(tenantDir);
    return total;
  })();
  const mb = (b: number) => b / 1e6;
  const f = (n: number, d = 1) => n.toFixed(d);
  const load = (await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `bench-export: ${N} messages, one ${ATT}-byte attachment each; seeded in ${f(seedS)} s; load average ${load}`,
  );
  console.log(`  raw bodies + attachments: ${f(mb(inputBytes))} MB`);
  console.log(
    `  baseline  zip -r (same raw files): ${f(zipS, 2)} s  ${f(N / zipS, 0)} msgs/s  ${f(mb(inputBytes) / zipS)} MB/s in  -> ${f(mb(plainBytes))} MB`,
  );
  console.log(
    `  export    all steps:               ${f(exportS, 2)} s  ${f(N / exportS, 0)} msgs/s  ${f(mb(inputBytes) / exportS)} MB/s in  -> ${f(mb(bundle.size))} MB bundle (${f(exportS / zipS, 1)}x the zip)`,
  );
  console.log(
    `            prepare ${f((t1 - t0) / 1000, 2)} s, messages ${f((t2 - t1) / 1000, 2)} s, rsmf ${f((t3 - t2) / 1000, 2)} s, finalize ${f((t4 - t3) / 1000, 2)} s`,
  );
  console.log(`  RSS: ${f(mb(rss0), 0)} MB before, ${f(mb(peak), 0)} MB peak while exporting`);
} finally {
  await database.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
