// Builds an export bundle in four resumable steps (workflows/export.ts runs each as an activity):
//   prepare   fixes what is exported: the matching archived messages, in (endpoint, time, id)
//             order, and the sealed checkpoint every proof leads to (plan.json, written once);
//   messages  stages each message's files (raw body, sealed manifest, attachments, .eml, proof)
//             and appends its messages.jsonl line and loadfile.csv rows; resumable from any
//             message (the index files are cut back to the offsets of the last one reported);
//   rsmf      one .rsmf per endpoint per day from messages.jsonl; resumable per file;
//   finalize  hashes every staged file into the signed EXPORT-MANIFEST.json and zips it all.
// Everything is derived from the plan and sealed bytes, so a resumed run stages byte-identical
// files and the zip (fixed timestamps, sorted entries) ends identical too.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { searchConditions } from '../apps/server/trpc/routers/messages/search.query';
import { ZSearchMessagesInput } from '../apps/server/trpc/routers/messages/search.schema';
import type { Db } from '../db/client';
import {
  attachments,
  type ExportFilters,
  endpoints,
  exportJobs,
  ingestReceipts,
  ledgerLeaves,
  messageColumns,
  messages,
} from '../db/schema';
import { attachmentFromStorable, fromStorable } from '../db/storable-text';
import { formatTlogProof, openNote, parseCheckpoint } from '../evidence/checkpoint';
import { jcs } from '../evidence/jcs';
import { signReceipt } from '../evidence/receipt';
import type { EvidenceDeps } from '../ledger/deps';
import { logOrigin } from '../ledger/deps';
import { latestCheckpoint, loadLeafHashesFlat } from '../ledger/tree';
import type { Logger } from '../lib/logger';
import { orderedPool } from '../lib/ordered-pool';
import { rawBodyKey } from '../worm/keys';
import type { WormStore } from '../worm/store';
import { buildEml } from './eml';
import {
  attachmentPath,
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  CHECKPOINT_FILE,
  EXPORT_MANIFEST,
  emlPath,
  type FileEntry,
  KEYS_FILE,
  LOADFILE_CSV,
  MESSAGES_JSONL,
  type MessageLine,
  manifestPath,
  messageLineSchema,
  proofPath,
  README_TXT,
  rawPath,
  rsmfPath,
} from './layout';
import { loadfileHeader, loadfileRows } from './loadfile';
import { ProofTree } from './proof-tree';
import { README } from './readme';
import { RSMF_MAX_EVENTS, RsmfWriter } from './rsmf';
import { signSpooledExportManifest, type UnsignedExportManifest } from './signed-manifest';
import { ZipWriter } from './zip';

export interface ExportDeps {
  db: Db;
  worm: WormStore;
  evidence: EvidenceDeps;
  /** Where bundles are staged and kept (EXPORT_DIR, default DATA_DIR/exports). */
  exportDir: string;
  log: Logger;
}

/** Not an error in the data: the export waits (retryable) until the log has sealed a checkpoint. */
export class ExportNotReadyError extends Error {
  override name = 'ExportNotReadyError';
}
/** Sealed bytes that do not match their recorded hash: the export fails, naming the object. */
export class ExportIntegrityError extends Error {
  override name = 'ExportIntegrityError';
}

export const bundleFile = (exportDir: string, id: string) => path.join(exportDir, `${id}.zip`);
const stagingDir = (deps: ExportDeps, id: string) => path.join(deps.exportDir, `${id}.staging`);
const PLAN = '.plan.json';
/** The plan's message ids, one a line: read a page at a time, never all at once. */
const IDS = '.ids';
const WORK = '.work';

interface Plan {
  total: number;
  treeSize: number;
  /** The signed checkpoint note every proof leads to (null for an empty export). */
  checkpoint: string | null;
}

export interface MessagesProgress {
  done: number;
  jsonlBytes: number;
  csvBytes: number;
  bytes: number;
}

async function loadJob(db: Db, id: string) {
  const [job] = await db.select().from(exportJobs).where(eq(exportJobs.id, id));
  if (!job) throw new Error(`export ${id} not found`);
  return job;
}

async function writeAtomic(file: string, data: string | Buffer) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, data);
  await rename(`${file}.tmp`, file);
}

async function readPlan(dir: string): Promise<Plan> {
  return JSON.parse(await readFile(path.join(dir, PLAN), 'utf8')) as Plan;
}

/** Step 1: which messages, in which order, proven against which checkpoint. Idempotent. */
export async function prepareExport(deps: ExportDeps, id: string): Promise<{ total: number }> {
  const dir = stagingDir(deps, id);
  if (existsSync(path.join(dir, PLAN))) return { total: (await readPlan(dir)).total };
  const job = await loadJob(deps.db, id);
  const f = job.filters;
  const where = searchConditions(
    job.tenantId,
    ZSearchMessagesInput.parse({
      q: f.q,
      endpointId: f.endpointId,
      receivedFrom: f.from,
      receivedTo: f.to,
      status: ['archived'],
    }),
  );
  const rows = await deps.db
    .select({ id: messages.id, leafIndex: ledgerLeaves.leafIndex })
    .from(messages)
    .leftJoin(ledgerLeaves, eq(ledgerLeaves.messageId, messages.id))
    .where(where)
    .orderBy(asc(messages.endpointId), asc(messages.sortAt), asc(messages.id));
  const cp = await latestCheckpoint(deps.db, job.tenantId);
  const size = cp?.treeSize ?? 0;
  const uncovered = rows.filter((r) => r.leafIndex === null || r.leafIndex >= size).length;
  // Just-archived messages are in the log within seconds (the integrator seals every 10 s).
  if (uncovered > 0)
    throw new ExportNotReadyError(`${uncovered} messages are not yet in a sealed checkpoint; retrying`);
  const plan: Plan = { total: rows.length, treeSize: size, checkpoint: cp?.note ?? null };
  await writeAtomic(path.join(dir, IDS), rows.map((r) => `${r.id}\n`).join(''));
  await writeAtomic(path.join(dir, PLAN), JSON.stringify(plan));
  await deps.db
    .update(exportJobs)
    .set({ total: plan.total, updatedAt: new Date() })
    .where(eq(exportJobs.id, id));
  return { total: plan.total };
}

/** The plan's ids from `skip` on, PAGE at a time. */
async function* idPages(dir: string, skip: number): AsyncGenerator<string[]> {
  const lines = createInterface({ input: createReadStream(path.join(dir, IDS)), crlfDelay: Infinity });
  let seen = 0;
  let page: string[] = [];
  for await (const line of lines) {
    if (!line || seen++ < skip) continue;
    page.push(line);
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

const PAGE = 100;
/** Files up to this size go into the zip from memory (one read, one deflate call). */
const SMALL_FILE_BYTES = 256 * 1024;
/** Messages staged at once within a page. */
const STAGE_CONCURRENCY = 8;

/** Step 2: stages every message's files; `resume` is the last progress the caller recorded. */
export async function stageMessages(
  deps: ExportDeps,
  id: string,
  resume: MessagesProgress | undefined,
  report: (p: MessagesProgress) => void | Promise<void>,
): Promise<MessagesProgress> {
  const dir = stagingDir(deps, id);
  const job = await loadJob(deps.db, id);
  const plan = await readPlan(dir);
  const formats = new Set(job.filters.formats);
  const tree = new ProofTree(await loadLeafHashesFlat(deps.db, job.tenantId, plan.treeSize));
  const jsonlFile = path.join(dir, MESSAGES_JSONL);
  const csvFile = path.join(dir, LOADFILE_CSV);
  const progress: MessagesProgress = resume ?? { done: 0, jsonlBytes: 0, csvBytes: 0, bytes: 0 };
  if (resume) {
    // Cut the index files back to what the reported progress covers; the rest is redone.
    await truncate(jsonlFile, resume.jsonlBytes);
    await truncate(csvFile, resume.csvBytes);
  } else {
    await writeFile(jsonlFile, '');
    const header = loadfileHeader();
    await writeFile(csvFile, header);
    progress.csvBytes = Buffer.byteLength(header);
  }
  const jsonl = await open(jsonlFile, 'a');
  const csv = await open(csvFile, 'a');
  const endpointNames = new Map<string, string | null>();
  const dirs = new StagingDirs();
  try {
    for await (const pageIds of idPages(dir, progress.done)) {
      const page = await loadPage(deps.db, job.tenantId, pageIds, endpointNames);
      const items = pageIds.map((mid) => {
        const item = page.get(mid);
        if (!item) throw new ExportIntegrityError(`message ${mid} is no longer in the database`);
        return item;
      });
      // Several messages staged at once (each is a chain of awaited object reads and file
      // writes), their lines written in order; progress still moves one message at a time, and
      // files staged ahead of it are staged again on a resume (each message's own paths).
      const staging = orderedPool(items, STAGE_CONCURRENCY, (item) =>
        stageMessage(deps, dirs, dir, item, plan, tree, formats),
      );
      for await (const staged of staging) {
        const line = `${JSON.stringify(staged.line)}\n`;
        const rows = loadfileRows(staged.line, staged.rawMd5);
        await jsonl.write(line);
        await csv.write(rows);
        progress.done++;
        progress.jsonlBytes += Buffer.byteLength(line);
        progress.csvBytes += Buffer.byteLength(rows);
        progress.bytes += staged.bytes;
        await report({ ...progress });
      }
    }
  } finally {
    await jsonl.close();
    await csv.close();
  }
  return progress;
}

type PageItem = Awaited<ReturnType<typeof loadPage>> extends Map<string, infer V> ? V : never;

/** One page of messages with everything their files need, in five queries. */
async function loadPage(db: Db, tenantId: string, ids: string[], names: Map<string, string | null>) {
  const [msgs, atts, receipts, leaves] = await Promise.all([
    db
      .select(messageColumns())
      .from(messages)
      .where(and(eq(messages.tenantId, tenantId), inArray(messages.id, ids))),
    db
      .select()
      .from(attachments)
      .where(inArray(attachments.messageId, ids))
      .orderBy(asc(attachments.ordinal)),
    db
      .select({
        id: ingestReceipts.id,
        externalId: ingestReceipts.externalId,
        endpointId: ingestReceipts.endpointId,
        rawSha256: ingestReceipts.rawSha256,
        receivedAt: ingestReceipts.receivedAt,
      })
      .from(ingestReceipts)
      .where(inArray(ingestReceipts.id, ids)),
    db.select().from(ledgerLeaves).where(inArray(ledgerLeaves.messageId, ids)),
  ]);
  const missing = [...new Set(msgs.map((m) => m.endpointId))].filter((e) => !names.has(e));
  if (missing.length > 0) {
    for (const e of await db
      .select({ id: endpoints.id, name: endpoints.name })
      .from(endpoints)
      .where(inArray(endpoints.id, missing)))
      names.set(e.id, e.name);
  }
  const out = new Map<
    string,
    {
      message: ReturnType<typeof fromStorable<(typeof msgs)[number]>>;
      attachments: ReturnType<typeof attachmentFromStorable<(typeof atts)[number]>>[];
      receipt: (typeof receipts)[number] | undefined;
      leaf: (typeof leaves)[number] | undefined;
      endpointName: string | null;
    }
  >();
  for (const m of msgs) {
    out.set(m.id, {
      message: fromStorable(m),
      attachments: atts.filter((a) => a.messageId === m.id).map(attachmentFromStorable),
      receipt: receipts.find((r) => r.id === m.id),
      leaf: leaves.find((l) => l.messageId === m.id),
      endpointName: names.get(m.endpointId) ?? null,
    });
  }
  return out;
}

/**
 * Directories made during one staging pass: raw/, manifests/, proofs/ and eml/ are shared by
 * every message, and a mkdir per file was a tenth of the step's main-thread time (profiled;
 * file-system calls dominate an export). Scoped to the pass, so nothing outlives a removed dir.
 */
class StagingDirs {
  readonly #made = new Map<string, Promise<unknown>>();
  ensure(dir: string): Promise<unknown> {
    let made = this.#made.get(dir);
    if (!made && this.#made.size >= 1024) return mkdir(dir, { recursive: true }); // per-message dirs: bounded memory
    if (!made) {
      made = mkdir(dir, { recursive: true });
      made.catch(() => this.#made.delete(dir)); // a failure is not remembered
      this.#made.set(dir, made);
    }
    return made;
  }
}

/** Streams a sealed object to a staged file, hashing it; refuses bytes that do not match. */
async function stageObject(
  dirs: StagingDirs,
  source: Readable,
  file: string,
  expected: { sha256: string; what: string },
): Promise<{ size: number; md5: string }> {
  await dirs.ensure(path.dirname(file));
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  source.on('data', (c: Buffer) => {
    sha.update(c);
    md5.update(c);
    size += c.length;
  });
  await pipeline(source, createWriteStream(file));
  const actual = sha.digest('hex');
  if (actual !== expected.sha256)
    throw new ExportIntegrityError(
      `${expected.what}: sealed bytes hash to ${actual}, expected ${expected.sha256}`,
    );
  return { size, md5: md5.digest('hex') };
}

async function stageMessage(
  deps: ExportDeps,
  dirs: StagingDirs,
  dir: string,
  item: PageItem,
  plan: Plan,
  tree: ProofTree,
  formats: Set<string>,
): Promise<{ line: MessageLine; rawMd5: string; bytes: number }> {
  const m = item.message;
  const mid = m.id;
  if (!item.leaf || item.leaf.leafIndex === null || !item.receipt || !m.manifestKey)
    throw new ExportIntegrityError(`message ${mid}: its receipt, manifest or log leaf is missing`);
  const leafIndex = item.leaf.leafIndex;
  let bytes = 0;

  const raw = await stageObject(
    dirs,
    await deps.worm.get(rawBodyKey(m.tenantId, m.rawSha256)),
    path.join(dir, rawPath(mid)),
    { sha256: m.rawSha256, what: `message ${mid} raw body` },
  );
  bytes += raw.size;
  const manifest = await stageObject(
    dirs,
    await deps.worm.get(m.manifestKey),
    path.join(dir, manifestPath(mid)),
    {
      sha256: item.leaf.manifestSha256,
      what: `message ${mid} manifest`,
    },
  );
  bytes += manifest.size;

  const lineAttachments: MessageLine['attachments'] = [];
  for (const a of item.attachments) {
    const stored = a.status === 'stored' && a.wormKey && a.sha256;
    let md5: string | null = null;
    const rel = stored ? attachmentPath(mid, a.ordinal, a.filename) : null;
    if (stored && rel) {
      const s = await stageObject(dirs, await deps.worm.get(a.wormKey!), path.join(dir, rel), {
        sha256: a.sha256!,
        what: `message ${mid} attachment ${a.ordinal}`,
      });
      md5 = s.md5;
      bytes += s.size;
    }
    lineAttachments.push({
      ordinal: a.ordinal,
      filename: a.filename,
      content_type: a.contentType,
      source: a.source,
      url: a.url,
      status: a.status,
      size: a.size,
      sha256: a.sha256,
      md5,
      path: rel,
    });
  }

  const proof = formatTlogProof({
    index: leafIndex,
    hashes: tree.inclusionProof(leafIndex),
    checkpoint: plan.checkpoint ?? '',
  });
  const proofFile = path.join(dir, proofPath(mid));
  await dirs.ensure(path.dirname(proofFile));
  // Not atomic on purpose: a message's files count only once its line is written and its
  // progress reported; a file half written ahead of that is written again on a resume.
  await writeFile(proofFile, proof);

  const r = item.receipt;
  const line: MessageLine = {
    message_id: mid,
    external_id: m.externalId,
    tenant_id: m.tenantId,
    endpoint_id: m.endpointId,
    endpoint_name: item.endpointName,
    received_at: m.receivedAt.toISOString(),
    occurred_at: m.occurredAt?.toISOString() ?? null,
    from: m.from,
    to: m.to,
    body: m.body,
    extra: m.extra,
    raw: { path: rawPath(mid), sha256: m.rawSha256, size: raw.size },
    manifest: { path: manifestPath(mid), sha256: item.leaf.manifestSha256 },
    leaf_index: leafIndex,
    proof: proofPath(mid),
    // Ed25519 is deterministic: the same key re-signs the same receipt the 200 carried.
    receipt: signReceipt(
      {
        message_id: mid,
        external_id: r.externalId,
        endpoint_id: r.endpointId,
        tenant_id: m.tenantId,
        raw_sha256: r.rawSha256,
        received_at: r.receivedAt.toISOString(),
      },
      deps.evidence.keyring.current,
    ),
    eml: formats.has('eml') ? emlPath(mid) : null,
    attachments: lineAttachments,
  };
  if (line.eml) {
    const emlFile = path.join(dir, line.eml);
    await dirs.ensure(path.dirname(emlFile));
    await pipeline(
      buildEml(
        line,
        lineAttachments.flatMap((a) =>
          a.path && a.sha256
            ? [
                {
                  file: path.join(dir, a.path),
                  filename: a.filename,
                  contentType: a.content_type,
                  sha256: a.sha256,
                },
              ]
            : [],
        ),
      ),
      createWriteStream(emlFile),
    );
    bytes += (await stat(emlFile)).size;
  }
  return { line, rawMd5: raw.md5, bytes };
}

const dayOf = (line: MessageLine) => (line.occurred_at ?? line.received_at).slice(0, 10);

/** Step 3: the RSMF files, one per endpoint per day (≤ RSMF_MAX_EVENTS). Resumable per file. */
export async function stageRsmf(
  deps: ExportDeps,
  id: string,
  resumeFiles: number,
  report: (filesDone: number) => void | Promise<void>,
): Promise<number> {
  const dir = stagingDir(deps, id);
  const job = await loadJob(deps.db, id);
  if (!job.filters.formats.includes('rsmf')) return 0;
  const work = path.join(dir, WORK, 'rsmf');
  await rm(work, { recursive: true, force: true });
  interface OpenFile {
    index: number;
    key: string;
    part: number;
    count: number;
    out: string;
    writer: RsmfWriter | undefined;
  }
  let current: OpenFile | undefined;
  let next = 0;
  const finish = async (f: OpenFile) => {
    if (f.writer) {
      await mkdir(path.dirname(f.out), { recursive: true });
      await f.writer.finish(f.out);
    }
    await report(f.index + 1);
  };
  for await (const line of stagedMessageLines(dir)) {
    const day = dayOf(line);
    const key = `${line.endpoint_id}/${day}`;
    if (!current || current.key !== key || current.count >= RSMF_MAX_EVENTS) {
      if (current) await finish(current);
      const part = current && current.key === key ? current.part + 1 : 0;
      const index = next++;
      const out = path.join(dir, rsmfPath(line.endpoint_id, day, part));
      // A file a previous attempt finished (it is renamed into place last) is kept, not rebuilt.
      const done = index < resumeFiles && existsSync(out);
      const group = { endpointId: line.endpoint_id, endpointName: line.endpoint_name, day, part };
      current = {
        index,
        key,
        part,
        count: 0,
        out,
        writer: done ? undefined : new RsmfWriter(path.join(work, String(index)), group),
      };
    }
    current.count++;
    await current.writer?.add(line, (ordinal) =>
      path.join(dir, line.attachments.find((a) => a.ordinal === ordinal)?.path ?? ''),
    );
  }
  if (current) await finish(current);
  await rm(path.join(dir, WORK), { recursive: true, force: true });
  return next;
}

/** The staged messages.jsonl, a parsed line at a time (it holds N messages: never read whole). */
async function* stagedMessageLines(dir: string): AsyncGenerator<MessageLine> {
  const lines = createInterface({
    input: createReadStream(path.join(dir, MESSAGES_JSONL)),
    crlfDelay: Infinity,
  });
  for await (const text of lines) if (text) yield messageLineSchema.parse(JSON.parse(text));
}

/** The RSMF files in byte order of their paths (a few per endpoint per day). */
async function rsmfFiles(dir: string): Promise<string[]> {
  const root = path.join(dir, 'rsmf');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const ep of (await readdir(root)).sort(byPath))
    for (const f of (await readdir(path.join(root, ep))).sort(byPath))
      if (f.endsWith('.rsmf')) out.push(`rsmf/${ep}/${f}`);
  return out;
}

/** Every staged file in bundle order, without listing the (N-file) directories: index files
 * first, then each message's files as messages.jsonl names them, then the RSMF files. */
async function* bundleNames(dir: string): AsyncGenerator<string> {
  for (const name of [README_TXT, MESSAGES_JSONL, LOADFILE_CSV, KEYS_FILE, CHECKPOINT_FILE])
    if (existsSync(path.join(dir, name))) yield name;
  for await (const line of stagedMessageLines(dir)) {
    yield line.raw.path;
    yield line.manifest.path;
    for (const a of line.attachments) if (a.path) yield a.path;
    if (line.eml) yield line.eml;
    yield line.proof;
  }
  yield* await rsmfFiles(dir);
}

async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(file)) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

/** Byte order of UTF-8 paths: the same on every machine and in every language. */
const byPath = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Step 4: the zip and its signed EXPORT-MANIFEST.json. One pass: each staged file is read once,
 * hashed as it streams into the zip; its (path, SHA-256, size) goes to a spool file as one JCS
 * line. Only the signature needs the whole list at once (Ed25519 signs the whole text): ~130
 * bytes a file, in one buffer. `report` is called per file (the activity heartbeats it).
 */
export async function finalizeExport(
  deps: ExportDeps,
  id: string,
  report: (files: number) => void = () => {},
): Promise<{ size: number; sha256: string; files: number }> {
  const job = await loadJob(deps.db, id);
  const out = bundleFile(deps.exportDir, id);
  if (job.state === 'completed' && job.sha256 && job.size !== null && existsSync(out))
    return { size: job.size, sha256: job.sha256, files: -1 };
  const dir = stagingDir(deps, id);
  const plan = await readPlan(dir);
  let checkpoint: { origin: string; tree_size: number; root_hash: string } | null = null;
  if (plan.checkpoint) {
    const origin = logOrigin(deps.evidence.logHost, job.tenantId);
    const verifiers = deps.evidence.keyring.published.map((k) => ({
      name: origin,
      publicKey: Buffer.from(k.public_key, 'base64'),
    }));
    const cp = parseCheckpoint(openNote(plan.checkpoint, verifiers).body);
    checkpoint = { origin: cp.origin, tree_size: cp.size, root_hash: cp.rootHash.toString('hex') };
    await writeAtomic(path.join(dir, CHECKPOINT_FILE), plan.checkpoint);
  }
  await writeAtomic(
    path.join(dir, KEYS_FILE),
    `${JSON.stringify({ keys: deps.evidence.keyring.published }, null, 2)}\n`,
  );
  await writeAtomic(path.join(dir, README_TXT), README);

  const work = path.join(dir, WORK);
  await mkdir(work, { recursive: true });
  const spoolFile = path.join(work, 'files.jsonl');
  const spool = createWriteStream(spoolFile);
  await mkdir(deps.exportDir, { recursive: true });
  const zip = new ZipWriter(out);
  let files = 0;
  try {
    for await (const name of bundleNames(dir)) {
      const file = path.join(dir, name);
      const h = createHash('sha256');
      let size = 0;
      if ((await stat(file)).size <= SMALL_FILE_BYTES) {
        // Most of a bundle's files are a few KB: read whole, one deflate call each.
        const data = await readFile(file);
        h.update(data);
        size = data.length;
        await zip.addBytes(name, data);
      } else {
        const hashing = async function* (input: AsyncIterable<Buffer>) {
          for await (const chunk of input) {
            h.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        };
        await zip.add(name, hashing(createReadStream(file)));
      }
      const entry: FileEntry = { path: name, sha256: h.digest('hex'), size };
      if (!spool.write(`${jcs(entry)}\n`)) await once(spool, 'drain');
      report(++files);
    }
    spool.end();
    await once(spool, 'finish');
    const head = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      export_id: id,
      tenant_id: job.tenantId,
      created_at: job.createdAt.toISOString(),
      filters: job.filters as ExportFilters & Record<string, unknown>,
      messages: plan.total,
      checkpoint,
    } satisfies Omit<UnsignedExportManifest, 'files'>;
    const signature = await signSpooledExportManifest(head, spoolFile, deps.evidence.keyring.current);
    await zip.add(EXPORT_MANIFEST, manifestText({ ...head, ...signature }, spoolFile));
    await zip.finish();
  } catch (err) {
    spool.destroy();
    await zip.abort();
    throw err;
  }
  const { sha256, size } = await hashFile(out);
  await deps.db
    .update(exportJobs)
    .set({ state: 'completed', size, sha256, completedAt: new Date(), updatedAt: new Date() })
    .where(eq(exportJobs.id, id));
  await rm(dir, { recursive: true, force: true });
  return { size, sha256, files: files + 1 };
}

/** EXPORT-MANIFEST.json for people too: indented, one file a line, streamed from the spool. */
async function* manifestText(head: Record<string, unknown>, spoolFile: string): AsyncGenerator<Buffer> {
  const top = JSON.stringify(head, null, 2);
  yield Buffer.from(`${top.slice(0, -2)},\n  "files": [`);
  let first = true;
  for await (const line of createInterface({ input: createReadStream(spoolFile), crlfDelay: Infinity })) {
    if (!line) continue;
    yield Buffer.from(`${first ? '' : ','}\n    ${line}`);
    first = false;
  }
  yield Buffer.from('\n  ]\n}\n');
}

/** Records progress for exports.get (the activity also heartbeats it to Temporal). */
export async function recordProgress(db: Db, id: string, p: { done: number; bytes: number }) {
  await db
    .update(exportJobs)
    .set({ done: p.done, bytes: p.bytes, updatedAt: new Date() })
    .where(and(eq(exportJobs.id, id), eq(exportJobs.state, 'running')));
}

export async function recordFailure(db: Db, id: string, error: string) {
  await db
    .update(exportJobs)
    .set({ state: 'failed', error, updatedAt: new Date(), completedAt: new Date() })
    .where(eq(exportJobs.id, id));
}
