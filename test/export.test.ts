// Export for regulators and e-discovery on the real stack (PostgreSQL, Temporal, the local WORM
// store): 1,000 messages with inline and URL attachments → a zip the offline verifier passes;
// its EMLs parse with Python's email package and carry the attachments byte-exact; its RSMF
// manifests validate against Relativity's published schema; tampering is caught and named; a
// worker killed mid-export resumes and ends with the same file hashes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Ajv from 'ajv';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { runCli } from '../apps/cli/cli';
import { exportJobs, messages } from '../db/schema';
import { type ExportManifest, MESSAGES_JSONL, type MessageLine } from '../export/layout';
import { verifyBundle } from '../export/verify';
import { stopChild } from '../lib/child-process';
import { testDatabaseUrl } from './helpers/database';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { postBearer, samplePayload } from './helpers/webhooks';

const N = 1000;
const URL_EVERY = 10;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const urlFile = (i: number) => Buffer.from(`%PDF-1.7 fetched attachment ${i}\n`.repeat(20 + (i % 7)));

let files: Server;
let filesUrl: string;
let stack: Stack;
let api: ReturnType<typeof adminClient>;
let adminKey: string;
let endpointId: string;
const from = new Date(Date.now() - 60_000).toISOString();
let to: string;

/** Every entry of a zip as bytes (the test bundles are small enough). */
async function unzip(file: string): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(file, { lazyEntries: true }, (e, z) => (e ? rej(e) : res(z))),
  );
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.on('entry', (e: yauzl.Entry) =>
      zip.openReadStream(e, (err, s) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => {
          out.set(e.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      }),
    );
    zip.readEntry();
  });
  zip.close();
  return out;
}

async function rezip(entries: Map<string, Buffer>, file: string) {
  const z = new ZipFile();
  for (const [name, bytes] of entries) z.addBuffer(bytes, name);
  z.end();
  await pipeline(z.outputStream, createWriteStream(file));
}

async function waitCompleted(id: string, timeout = 120_000) {
  await expect
    .poll(async () => (await api.exports.get.query({ id })).state, { timeout, interval: 300 })
    .toBe('completed');
  return api.exports.get.query({ id });
}

async function download(id: string, file: string) {
  const res = await fetch(`${stack.baseUrl}/api/exports/${id}/download`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  writeFileSync(file, bytes);
  return { bytes, res };
}

beforeAll(async () => {
  files = createServer((req, res) => {
    const m = /^\/file\/(\d+)$/.exec(req.url ?? '');
    if (!m) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/pdf' }).end(urlFile(Number(m[1])));
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const addr = files.address();
  filesUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  stack = await startStack({ env: { FETCH_ALLOW_PRIVATE_NETWORKS: 'true' } });
  const t = await stack.newTenant();
  adminKey = t.adminKey;
  api = adminClient(stack.baseUrl, adminKey);
  const created = await api.endpoints.create.mutate({ name: 'export-src', authMode: 'bearer' });
  endpointId = created.endpoint.id;

  // 1,000 messages through the real ingest path: every one with an inline attachment (binary,
  // every byte value), every tenth also with a URL attachment fetched by the worker.
  const send = async (i: number) => {
    const inline = Buffer.from(Array.from({ length: 300 + (i % 50) }, (_, k) => (k * 7 + i) % 256));
    const attachments: Record<string, unknown>[] = [
      {
        filename: `scan ${i}.bin`,
        content_type: 'application/octet-stream',
        content_base64: inline.toString('base64'),
      },
    ];
    if (i % URL_EVERY === 0)
      attachments.push({
        filename: `doc-${i}.pdf`,
        content_type: 'application/pdf',
        url: `${filesUrl}/file/${i}`,
      });
    const payload = samplePayload({
      external_id: `exp-${i}`,
      // Two days, so RSMF groups by day; one sender is not an e-mail address.
      occurred_at: new Date(Date.UTC(2026, 4, 28 + (i % 2), 9, 0, i % 60)).toISOString(),
      from:
        i % 3 === 0
          ? { identifier: 'U024BE7LH', display_name: 'Slack Bot' }
          : { identifier: 'alice@example.com' },
      to: [{ identifier: 'bob@example.com', display_name: 'Bob' }],
      body: `message ${i}: Grüße, "quoted", a line\nand another`,
      attachments,
    });
    const res = await postBearer(created.endpoint.url, created.secret, payload);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  };
  for (let i = 0; i < N; i += 25) await Promise.all(Array.from({ length: 25 }, (_, k) => send(i + k)));
  for (let i = 0; ; i++) {
    const rows = await stack.database.db
      .select({ status: messages.status })
      .from(messages)
      .where(eq(messages.endpointId, endpointId));
    if (rows.length === N && rows.every((r) => r.status === 'archived')) break;
    if (i > 1200) throw new Error(`not all archived: ${rows.filter((r) => r.status === 'archived').length}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  to = new Date(Date.now() + 1000).toISOString();
}, 600_000);

afterAll(async () => {
  await stack?.close();
  await new Promise<void>((r) => files.close(() => r()));
});

describe('exports', () => {
  let bundle: string;
  let firstId: string;
  let manifest: ExportManifest;
  let entries: Map<string, Buffer>;
  let lines: MessageLine[];

  it('exports 1,000 messages into a bundle the offline verifier passes', async () => {
    const { id } = await api.exports.create.mutate({
      endpointId,
      from,
      to,
      formats: ['rsmf', 'eml', 'jsonl'],
    });
    firstId = id;
    const done = await waitCompleted(id);
    expect(done).toMatchObject({ state: 'completed', progress: { done: N, total: N } });
    expect(done.progress.bytes).toBeGreaterThan(0);
    bundle = path.join(stack.dir, 'bundle.zip');
    const { bytes, res } = await download(id, bundle);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('x-content-sha256')).toBe(sha(bytes));
    expect(done.sha256).toBe(sha(bytes));

    const report = await verifyBundle(bundle);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, messages: N, proofs: N, attachments: N + N / URL_EVERY });

    // The standalone script, with the keys as the archive publishes them: exit 0.
    const keysFile = path.join(stack.dir, 'keys.json');
    writeFileSync(keysFile, await (await fetch(`${stack.baseUrl}/.well-known/webhook-archive/keys`)).text());
    const cli = spawnSync('scripts/verify-export', [bundle, '--keys', keysFile], { encoding: 'utf8' });
    expect(cli.stdout).toContain('VERIFIED');
    expect(cli.status).toBe(0);

    entries = await unzip(bundle);
    manifest = JSON.parse(entries.get('EXPORT-MANIFEST.json')!.toString('utf8'));
    lines = entries
      .get(MESSAGES_JSONL)!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(N);
    expect(new Set(lines.map((l) => l.external_id)).size).toBe(N);
    // The loadfile: a header, a row per message and per attachment.
    const csv = entries.get('loadfile.csv')!.toString('utf8').trim().split('\r\n');
    expect(csv).toHaveLength(1 + N + N + N / URL_EVERY);
    expect(csv[0]).toMatch(/^DocID,ParentDocID,ItemType,MessageID/);
  }, 300_000);

  it('serves byte ranges, so an interrupted download resumes (and the CLI does)', async () => {
    const whole = readFileSync(bundle);
    const url = `${stack.baseUrl}/api/exports/${firstId}/download`;
    const auth = { authorization: `Bearer ${adminKey}` };
    const part = await fetch(url, { headers: { ...auth, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${whole.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(whole.subarray(100, 200));
    const tail = await fetch(url, { headers: { ...auth, range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(whole.subarray(whole.length - 10));
    const beyond = await fetch(url, { headers: { ...auth, range: `bytes=${whole.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    // A stale If-Range gets the whole file, never a splice of two bundles.
    const stale = await fetch(url, { headers: { ...auth, range: 'bytes=0-9', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    expect((await fetch(url)).status).toBe(401);

    // The CLI continues a partial file and checks the whole.
    const out = path.join(stack.dir, 'cli.zip');
    writeFileSync(out, whole.subarray(0, 1000));
    const io = { stdout: '', stderr: '' };
    const code = await runCli(['export', 'download', firstId, '--out', out, '--api-url', stack.baseUrl], {
      stdout: (s) => {
        io.stdout += s;
      },
      stderr: (s) => {
        io.stderr += s;
      },
      env: { ADMIN_API_KEY: adminKey },
    });
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    expect(io.stdout).toContain('resumed');
    expect(readFileSync(out)).toEqual(whole);
  }, 300_000);

  it('writes EMLs Python parses, with the attachments byte-exact, and RSMF that validates', async () => {
    const dir = path.join(stack.dir, 'unzipped');
    for (const [name, bytes] of entries) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), bytes);
    }
    const script = `
import email, email.policy, json, os, sys, glob
root = sys.argv[1]
out = {"eml": 0, "parts": 0, "bad": [], "rsmf": []}
for line in open(os.path.join(root, "messages.jsonl"), encoding="utf-8"):
    m = json.loads(line)
    msg = email.message_from_binary_file(open(os.path.join(root, m["eml"]), "rb"), policy=email.policy.default)
    out["eml"] += 1
    if msg["Message-ID"] != "<%s@webhook-archive.invalid>" % m["message_id"]: out["bad"].append(("message-id", m["message_id"]))
    if msg["X-Archive-Manifest-SHA256"] != m["manifest"]["sha256"]: out["bad"].append(("header", m["message_id"]))
    if msg.get_body(("plain",)).get_content() != m["body"]: out["bad"].append(("body", m["message_id"]))
    parts = list(msg.iter_attachments())
    want = [a for a in m["attachments"] if a["path"]]
    if len(parts) != len(want): out["bad"].append(("count", m["message_id"]))
    for p, a in zip(parts, want):
        data = p.get_payload(decode=True)
        if data != open(os.path.join(root, a["path"]), "rb").read() or p.get_filename() != a["filename"] or p.get_content_type() != a["content_type"]:
            out["bad"].append(("attachment", m["message_id"], a["ordinal"]))
        out["parts"] += 1
for f in sorted(glob.glob(os.path.join(root, "rsmf", "*", "*.rsmf"))):
    raw = open(f, "rb").read()
    first = raw.split(b"\\r\\n", 1)[0]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    atts = list(msg.iter_attachments())
    zpath = f + ".zip"
    open(zpath, "wb").write(atts[0].get_payload(decode=True))
    out["rsmf"].append({"file": f, "first": first.decode(), "attachments": [a.get_filename() for a in atts], "zip": zpath, "events": msg["X-RSMF-EventCount"]})
print(json.dumps(out))
`;
    const py = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(py.stderr).toBe('');
    const r = JSON.parse(py.stdout) as {
      eml: number;
      parts: number;
      bad: unknown[];
      rsmf: { file: string; first: string; attachments: string[]; zip: string; events: string }[];
    };
    expect(r.bad).toEqual([]);
    expect(r.eml).toBe(N);
    expect(r.parts).toBe(N + N / URL_EVERY);

    // One endpoint, two days: two RSMF files, each an EML led by X-RSMF-Version with one rsmf.zip.
    expect(r.rsmf).toHaveLength(2);
    const schema = JSON.parse(readFileSync('test/data/rsmf/rsmf_schema_2_0_0.json', 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat(
      'date-time',
      (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(s) && !Number.isNaN(Date.parse(s)),
    );
    ajv.addFormat('idn-email', (s: string) => /^[^\s@]+@[^\s@]+$/.test(s));
    const validate = ajv.compile(schema);
    let events = 0;
    for (const f of r.rsmf) {
      expect(f.first).toBe('X-RSMF-Version: 2.0.0');
      expect(f.attachments).toEqual(['rsmf.zip']);
      const inner = await unzip(f.zip);
      const m = JSON.parse(inner.get('rsmf_manifest.json')!.toString('utf8'));
      expect(validate(m), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      expect(String(m.events.length)).toBe(f.events);
      events += m.events.length;
      // Every attachment an event names is a file in rsmf.zip, byte for byte.
      for (const ev of m.events)
        for (const a of ev.attachments ?? []) expect(inner.has(a.id), a.id).toBe(true);
    }
    expect(events).toBe(N);
    // A schema violation is caught: the validator can fail.
    expect(validate({ version: '2.0.0', participants: [], conversations: [], events: [{}] })).toBe(false);
  }, 300_000);

  it('fails on a flipped attachment byte, a dropped message line and an altered proof, naming the item', async () => {
    const withUrl = lines.find((l) => l.attachments.length === 2)!;
    const att = withUrl.attachments[1]!.path!;
    const flipped = new Map(entries);
    const bytes = Buffer.from(flipped.get(att)!);
    bytes[5] = bytes[5]! ^ 0x01;
    flipped.set(att, bytes);

    const dropped = new Map(entries);
    const victim = lines[500]!;
    dropped.set(
      MESSAGES_JSONL,
      Buffer.from(
        lines
          .filter((l) => l !== victim)
          .map((l) => `${JSON.stringify(l)}\n`)
          .join(''),
      ),
    );

    const altered = new Map(entries);
    const proofOf = lines[42]!;
    const proofText = altered.get(proofOf.proof)!.toString('utf8').split('\n');
    // The first proof hash (line 3: header, index, hashes…): one base64 character changed.
    const h = proofText[2]!;
    proofText[2] = (h[0] === 'A' ? 'B' : 'A') + h.slice(1);
    altered.set(proofOf.proof, Buffer.from(proofText.join('\n')));

    const cases: [string, Map<string, Buffer>, string, string][] = [
      ['flipped', flipped, withUrl.message_id, att],
      ['dropped', dropped, victim.message_id, 'messages.jsonl'],
      ['altered', altered, proofOf.message_id, proofOf.proof],
    ];
    for (const [name, tampered, messageId, file] of cases) {
      const zip = path.join(stack.dir, `tampered-${name}.zip`);
      await rezip(tampered, zip);
      const report = await verifyBundle(zip);
      expect(report.ok, name).toBe(false);
      expect(report.problems[0]!.item, name).toContain(messageId);
      expect(
        report.problems.some((p) => p.item.includes(file)),
        name,
      ).toBe(true);
      const cli = spawnSync('scripts/verify-export', [zip], { encoding: 'utf8' });
      expect(cli.status, name).toBe(1);
      expect(cli.stdout, name).toMatch(new RegExp(`first bad item: .*${messageId}`));
    }
  }, 300_000);

  it('a worker killed mid-export: the export resumes and its files hash the same as an uninterrupted one', async () => {
    await stack.stopWorker();
    const env = {
      ...process.env,
      DATABASE_URL: await testDatabaseUrl(),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      DATA_DIR: stack.dir,
      WORM_DIR: stack.wormDir,
      EXPORT_DIR: stack.deps.config.EXPORT_DIR,
      PUBLIC_BASE_URL: stack.baseUrl,
      LOG_LEVEL: 'info',
    };
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/main.ts'], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
      });
      await expect.poll(() => output, { timeout: 120_000, interval: 200 }).toContain('worker running');

      const { id } = await api.exports.create.mutate({
        endpointId,
        from,
        to,
        formats: ['rsmf', 'eml', 'jsonl'],
      });
      await expect
        .poll(async () => (await api.exports.get.query({ id })).progress.done, {
          timeout: 60_000,
          interval: 50,
        })
        .toBeGreaterThan(0);
      child.kill('SIGKILL');
      const atKill = await api.exports.get.query({ id });
      expect(atKill.state).toBe('running');
      expect(atKill.progress.done).toBeLessThan(N);

      await stack.startWorker();
      const done = await waitCompleted(id, 180_000);
      expect(done.progress).toMatchObject({ done: N, total: N });
      expect(stack.logs.join('')).toContain('export resumes');

      const resumedZip = path.join(stack.dir, 'resumed.zip');
      await download(id, resumedZip);
      expect((await verifyBundle(resumedZip)).ok).toBe(true);
      const resumed = JSON.parse(
        (await unzip(resumedZip)).get('EXPORT-MANIFEST.json')!.toString('utf8'),
      ) as ExportManifest;
      // Same messages, same files, same bytes; only the export's own id and time differ.
      expect(resumed.files).toEqual(manifest.files);
      expect(resumed.messages).toBe(N);
      const [row] = await stack.database.db.select().from(exportJobs).where(eq(exportJobs.id, id));
      expect(row?.state).toBe('completed');
    } finally {
      if (child) await stopChild(child, 5000);
      if (!stack.worker) await stack.startWorker();
    }
  }, 400_000);
});
