// Export throughput and memory: the four export steps (export/build.ts, as the worker runs them)
// over N archived messages, each export in a child process of its own (as a worker would), against
// a plain `zip -r` of the same raw bodies and attachments in the same run; and the child's peak RSS,
// at two sizes, so "bounded" reads as a peak that does not grow with N.
//   node --import tsx scripts/bench-export.ts [--sizes 2000,10000] [--attachment-bytes 4096]
//     [--admin-url postgres://postgres@127.0.0.1:5432/postgres]   (a scratch database is created and dropped)
//   BENCH_EXPORT_GC=1 also samples what is live (heap + external just after a full GC, 4 times a
//   second): RSS peaks are mostly garbage V8 has not collected yet, which says little about O(N).
// Messages are seeded straight into the database and the local WORM store in the sealed shape
// (receipt, message row, raw body, attachment, manifest, log leaf, checkpoint), one tenant per size:
// the ingest path has its own benchmarks.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { type Dirent, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { createTenantWithKey } from '../apps/server/bootstrap';
import { type Db, openDatabase } from '../db/client';
import { attachments, endpoints, exportJobs, ingestReceipts, messages } from '../db/schema';
import { openKeyring } from '../evidence/signing-key';
import { bundleFile, finalizeExport, prepareExport, stageMessages, stageRsmf } from '../export/build';
import { verifyBundle } from '../export/verify';
import { appendLeaf, sequenceLeaves } from '../ledger/append';
import { integrate } from '../ledger/integrate';
import { messageIdFor } from '../lib/ids';
import { createLogger } from '../lib/logger';
import { attachmentKey, manifestKey, messageRecordKey, rawBodyKey, retainUntil } from '../worm/keys';
import { LocalWormStore } from '../worm/local-store';
import { MANIFEST_VERSION, manifestBytes } from '../worm/manifest';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2000,10000' },
    'attachment-bytes': { type: 'string', default: '4096' },
    'admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    /** Internal: run one export in this process and print its figures as JSON. */
    child: { type: 'string' },
  },
});
const ATT = Number(values['attachment-bytes']);
const mb = (b: number) => b / 1e6;
const f = (n: number, d = 1) => n.toFixed(d);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const evidenceOf = (dir: string) => ({
  keyring: openKeyring({ DATA_DIR: dir }),
  logHost: 'bench.invalid',
  auditSample: 0,
  auditIntervalSeconds: 3600,
});

interface ChildArgs {
  dbUrl: string;
  dir: string;
  exportId: string;
}
interface ChildResult {
  phases: number[];
  rssIdle: number;
  rssPeak: number;
  /** Peak RSS during prepare, messages, rsmf, finalize. */
  phasePeaks: number[];
  heapPeak: number;
  /** Peak heap + external just after a full GC (0 unless BENCH_EXPORT_GC is set). */
  livePeak: number;
  bundleSize: number;
}

/** The export as a worker runs it, in a fresh process: its RSS is the worker's, not the seeder's. */
async function runChild(a: ChildArgs): Promise<ChildResult> {
  const database = openDatabase({ url: a.dbUrl, maxConnections: 8 });
  try {
    const x = {
      db: database.db,
      worm: new LocalWormStore(path.join(a.dir, 'worm')),
      evidence: evidenceOf(a.dir),
      exportDir: path.join(a.dir, 'exports'),
      log: createLogger('warn'),
    };
    const rssIdle = process.memoryUsage().rss;
    let rssPeak = rssIdle;
    let heapPeak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed + m.external);
    }, 20);
    // With BENCH_EXPORT_GC: what is live (heap + external right after a full GC), 4 times a second:
    // garbage not yet collected is not what the export holds.
    let livePeak = 0;
    const gc = process.env.BENCH_EXPORT_GC ? global.gc : undefined;
    const liveSampler = gc
      ? setInterval(() => {
          gc();
          const m = process.memoryUsage();
          livePeak = Math.max(livePeak, m.heapUsed + m.external);
        }, 250)
      : undefined;
    const t = [performance.now()];
    const phasePeaks: number[] = [];
    const phase = async <T>(run: () => Promise<T>): Promise<T> => {
      rssPeak = process.memoryUsage().rss;
      const out = await run();
      t.push(performance.now());
      phasePeaks.push(Math.max(rssPeak, process.memoryUsage().rss));
      return out;
    };
    await phase(() => prepareExport(x, a.exportId));
    await phase(() => stageMessages(x, a.exportId, undefined, () => {}));
    await phase(() => stageRsmf(x, a.exportId, 0, () => {}));
    const bundle = await phase(() => finalizeExport(x, a.exportId));
    clearInterval(sampler);
    clearInterval(liveSampler);
    const phases = t.slice(1).map((v, i) => (v - (t[i] as number)) / 1000);
    return {
      phases,
      phasePeaks,
      rssIdle,
      rssPeak: Math.max(...phasePeaks, process.resourceUsage().maxRSS * 1024),
      heapPeak,
      livePeak,
      bundleSize: bundle.size,
    };
  } finally {
    await database.close();
  }
}

if (values.child) {
  console.log(JSON.stringify(await runChild(JSON.parse(values.child) as ChildArgs)));
  process.exit(0);
}

function exportInChild(a: ChildArgs): Promise<ChildResult> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_EXPORT_GC ? ['--expose-gc'] : []),
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--child',
      JSON.stringify(a),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as ChildResult)
        : reject(new Error(`export child exited ${code}`)),
    ),
  );
}

/** N sealed messages of one new tenant (one endpoint), their log leaves and a checkpoint over them. */
async function seed(db: Db, dir: string, worm: LocalWormStore, N: number) {
  const evidence = evidenceOf(dir);
  const { tenantId } = await createTenantWithKey(db, `bench-${N}`);
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
        const attPut = await worm.put(attachmentKey(tenantId, id, sha(raw), 0), att, {
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
  return { tenantId, endpointId };
}

/** Bytes of the raw bodies and attachments (what the zip baseline takes in). */
function inputBytes(tenantDir: string) {
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
}

const sizes = (values.sizes as string).split(',').map(Number);
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
  console.log(
    `bench-export: sizes ${sizes.join(', ')}; one ${ATT}-byte attachment a message; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const N of sizes) {
    const seedStart = performance.now();
    const { tenantId, endpointId } = await seed(db, dir, worm, N);
    const seedS = (performance.now() - seedStart) / 1000;

    // Baseline: a plain zip of the same raw bodies and attachments.
    const tenantDir = path.join(dir, 'worm', 'tenants', tenantId);
    const plainZip = path.join(dir, `plain-${N}.zip`);
    const zipStart = performance.now();
    execFileSync(
      'zip',
      ['-q', '-r', plainZip, 'raw', 'messages', '-x', '*.meta.json', '*/message.json', '*/manifest.json'],
      { cwd: tenantDir },
    );
    const zipS = (performance.now() - zipStart) / 1000;
    const plainBytes = statSync(plainZip).size;
    const inMb = mb(inputBytes(tenantDir));

    const exportId = randomUUID();
    await db.insert(exportJobs).values({
      id: exportId,
      tenantId,
      requestedBy: 'bench',
      workflowId: `export-${exportId}`,
      filters: {
        endpointId,
        from: '2000-01-01T00:00:00Z',
        to: '2100-01-01T00:00:00Z',
        formats: ['eml', 'jsonl', 'rsmf'],
      },
    });
    const r = await exportInChild({ dbUrl: dbUrl.toString(), dir, exportId });
    const exportS = r.phases.reduce((a, b) => a + b, 0);
    const verified = await verifyBundle(bundleFile(path.join(dir, 'exports'), exportId));
    if (!verified.ok) throw new Error(`the bundle does not verify: ${JSON.stringify(verified.problems[0])}`);
    const [prep, msgs, rsmf, fin] = r.phases.map((p) => f(p, 2));
    const peaks = r.phasePeaks.map((p) => f(mb(p), 0)).join(' / ');
    console.log(`\n  ${N} messages (seeded in ${f(seedS)} s), raw bodies + attachments ${f(inMb)} MB`);
    console.log(
      `    baseline zip -r (same raw files): ${f(zipS, 2)} s  ${f(N / zipS, 0)} msgs/s  ${f(inMb / zipS)} MB/s in  -> ${f(mb(plainBytes))} MB`,
    );
    console.log(
      `    export   all steps:               ${f(exportS, 2)} s  ${f(N / exportS, 0)} msgs/s  ${f(inMb / exportS)} MB/s in  -> ${f(mb(r.bundleSize))} MB bundle (${f(exportS / zipS, 1)}x the zip), ${verified.files} files, verifier ok`,
    );
    console.log(`             prepare ${prep} s, messages ${msgs} s, rsmf ${rsmf} s, finalize ${fin} s`);
    console.log(
      `    worker RSS: ${f(mb(r.rssIdle), 0)} MB idle, ${f(mb(r.rssPeak), 0)} MB peak (+${f(mb(r.rssPeak - r.rssIdle), 0)} MB); peak heap + external ${f(mb(r.heapPeak), 0)} MB; peak by step ${peaks} MB${
        r.livePeak > 0 ? `; live (after GC) peak ${f(mb(r.livePeak), 0)} MB` : ''
      }`,
    );
  }
} finally {
  await database.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
