// The offline verifier of an export bundle: no server, no database, only the zip (and, ideally,
// the archive's public keys obtained independently). Checks, in order:
//   1. EXPORT-MANIFEST.json is signed by a known archive key;
//   2. every message line: its receipt's signature and hash, its raw body, its sealed manifest
//      (and what the manifest binds: raw body, attachments), its inclusion proof against the
//      signed checkpoint; and every sealed manifest in the bundle has its line;
//   3. every file's SHA-256 and size against EXPORT-MANIFEST.json, and nothing unlisted.
// Every problem names its item; the first one is the verdict's headline.
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { NoteError, openNote, parseCheckpoint, parseTlogProof } from '../evidence/checkpoint';
import { fromHex } from '../evidence/hex';
import { leafHash, verifyInclusion } from '../evidence/merkle';
import { verifyReceipt } from '../evidence/receipt';
import type { PublishedKey } from '../evidence/signing-key';
import { parseManifest } from '../worm/manifest';
import {
  CHECKPOINT_FILE,
  EXPORT_MANIFEST,
  type ExportManifest,
  exportManifestSchema,
  KEYS_FILE,
  MESSAGES_JSONL,
  type MessageLine,
  messageLineSchema,
} from './layout';
import { verifyExportManifest } from './signed-manifest';

export interface Problem {
  item: string;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  problems: Problem[];
  messages: number;
  files: number;
  attachments: number;
  proofs: number;
  keysFrom: 'given' | 'bundle';
  checkpoint: { origin: string; treeSize: number; rootHash: string } | null;
}

interface Entry {
  sha256: string;
  size: number;
  /** Kept for the files the checks read (index, manifests, proofs); others are only hashed. */
  text?: string;
}

const KEEP = (name: string) =>
  name === EXPORT_MANIFEST ||
  name === MESSAGES_JSONL ||
  name === KEYS_FILE ||
  name === CHECKPOINT_FILE ||
  name.startsWith('manifests/') ||
  name.startsWith('proofs/');

/** Streams every entry once: SHA-256 and size for all, the text of the few the checks read. */
export async function readBundle(file: string): Promise<Map<string, Entry>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (err, z) =>
      err ? reject(err) : resolve(z),
    ),
  );
  const entries = new Map<string, Entry>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName.endsWith('/')) return zip.readEntry();
        if (entries.has(e.fileName)) return reject(new Error(`${e.fileName}: appears twice in the zip`));
        zip.openReadStream(e, (err, stream) => {
          if (err) return reject(err);
          const h = createHash('sha256');
          const keep: Buffer[] | undefined = KEEP(e.fileName) ? [] : undefined;
          let size = 0;
          stream.on('data', (c: Buffer) => {
            h.update(c);
            size += c.length;
            keep?.push(c);
          });
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(e.fileName, {
              sha256: h.digest('hex'),
              size,
              ...(keep ? { text: Buffer.concat(keep).toString('utf8') } : {}),
            });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

export async function verifyBundle(file: string, trustedKeys?: PublishedKey[]): Promise<VerifyReport> {
  let entries: Map<string, Entry>;
  try {
    entries = await readBundle(file);
  } catch (err) {
    return failed(`${file}`, `not a readable zip: ${(err as Error).message}`, trustedKeys);
  }
  return verifyEntries(entries, trustedKeys);
}

function failed(item: string, problem: string, trustedKeys?: PublishedKey[]): VerifyReport {
  return {
    ok: false,
    problems: [{ item, problem }],
    messages: 0,
    files: 0,
    attachments: 0,
    proofs: 0,
    keysFrom: trustedKeys ? 'given' : 'bundle',
    checkpoint: null,
  };
}

export function verifyEntries(entries: Map<string, Entry>, trustedKeys?: PublishedKey[]): VerifyReport {
  const problems: Problem[] = [];
  const bad = (item: string, problem: string) => problems.push({ item, problem });

  // 1. The signed export manifest.
  const manifestText = entries.get(EXPORT_MANIFEST)?.text;
  if (manifestText === undefined) return failed(EXPORT_MANIFEST, 'missing', trustedKeys);
  let manifest: ExportManifest;
  try {
    manifest = exportManifestSchema.parse(JSON.parse(manifestText));
  } catch (err) {
    return failed(EXPORT_MANIFEST, `malformed: ${(err as Error).message.split('\n')[0]}`, trustedKeys);
  }
  let keys = trustedKeys;
  if (!keys) {
    try {
      keys = (JSON.parse(entries.get(KEYS_FILE)?.text ?? '') as { keys: PublishedKey[] }).keys;
    } catch {
      return failed(KEYS_FILE, 'missing or malformed (and no --keys given)', trustedKeys);
    }
  }
  const sig = verifyExportManifest(manifest, keys);
  if (!sig.ok) bad(EXPORT_MANIFEST, sig.reason);

  // The checkpoint every proof leads to, signed by the tenant log's key (same keyring).
  let root: { size: number; hash: Buffer; note: string } | null = null;
  const note = entries.get(CHECKPOINT_FILE)?.text;
  if (manifest.checkpoint) {
    if (note === undefined) bad(CHECKPOINT_FILE, 'missing');
    else {
      try {
        const origin = manifest.checkpoint.origin;
        const verifiers = keys.map((k) => ({ name: origin, publicKey: Buffer.from(k.public_key, 'base64') }));
        const cp = parseCheckpoint(openNote(note, verifiers).body);
        if (cp.origin !== origin || cp.size !== manifest.checkpoint.tree_size)
          bad(CHECKPOINT_FILE, 'does not match the checkpoint named in EXPORT-MANIFEST.json');
        else if (cp.rootHash.toString('hex') !== manifest.checkpoint.root_hash)
          bad(CHECKPOINT_FILE, 'root hash differs from EXPORT-MANIFEST.json');
        root = { size: cp.size, hash: cp.rootHash, note };
      } catch (err) {
        bad(
          CHECKPOINT_FILE,
          err instanceof NoteError ? err.message : `unreadable: ${(err as Error).message}`,
        );
      }
    }
  }

  // 2. Every message line and what it points at.
  const lines: MessageLine[] = [];
  const jsonl = entries.get(MESSAGES_JSONL)?.text;
  if (jsonl === undefined) bad(MESSAGES_JSONL, 'missing');
  (jsonl ?? '').split('\n').forEach((text, i) => {
    if (text === '') return;
    try {
      lines.push(messageLineSchema.parse(JSON.parse(text)));
    } catch (err) {
      bad(`${MESSAGES_JSONL} line ${i + 1}`, `malformed: ${(err as Error).message.split('\n')[0]}`);
    }
  });
  let attachments = 0;
  let proofs = 0;
  const seen = new Set<string>();
  for (const line of lines) {
    const item = `message ${line.message_id}`;
    if (seen.has(line.message_id)) bad(item, 'listed twice in messages.jsonl');
    seen.add(line.message_id);
    const r = verifyReceipt(line.receipt, keys);
    if (!r.ok) bad(item, `receipt: ${r.reason}`);
    if (line.receipt.message_id !== line.message_id || line.receipt.external_id !== line.external_id)
      bad(item, 'receipt is for another message');
    if (line.receipt.raw_sha256 !== line.raw.sha256) bad(item, 'receipt hash differs from the raw body hash');

    const raw = entries.get(line.raw.path);
    if (!raw) bad(`${item} ${line.raw.path}`, 'missing');
    else if (raw.sha256 !== line.raw.sha256)
      bad(`${item} ${line.raw.path}`, 'raw body does not match its receipt');

    const sealed = entries.get(line.manifest.path);
    let manifestOk = false;
    if (!sealed?.text) bad(`${item} ${line.manifest.path}`, 'missing');
    else if (sealed.sha256 !== line.manifest.sha256)
      bad(`${item} ${line.manifest.path}`, 'sealed manifest does not match its logged hash');
    else {
      try {
        const m = parseManifest(Buffer.from(sealed.text, 'utf8'));
        manifestOk = true;
        if (m.message_id !== line.message_id)
          bad(`${item} ${line.manifest.path}`, 'manifest of another message');
        if (m.raw_body.sha256 !== line.raw.sha256)
          bad(`${item} ${line.manifest.path}`, 'binds another raw body');
        for (const a of m.attachments) {
          if (a.sha256 === null) continue;
          const listed = line.attachments.find((x) => x.ordinal === a.ordinal);
          const file = listed?.path ? entries.get(listed.path) : undefined;
          const where = `${item} attachment ${a.ordinal} (${listed?.path ?? a.filename})`;
          attachments++;
          if (!listed?.path || !file) bad(where, 'missing');
          else if (file.sha256 !== a.sha256) bad(where, 'bytes differ from the sealed manifest');
        }
      } catch (err) {
        bad(`${item} ${line.manifest.path}`, `unreadable: ${(err as Error).message.split('\n')[0]}`);
      }
    }

    const proofText = entries.get(line.proof)?.text;
    if (proofText === undefined) bad(`${item} ${line.proof}`, 'missing');
    else if (root && manifestOk) {
      try {
        const p = parseTlogProof(proofText);
        if (p.index !== line.leaf_index) bad(`${item} ${line.proof}`, 'proves another leaf index');
        else if (p.checkpoint !== root.note) bad(`${item} ${line.proof}`, 'leads to another checkpoint');
        else if (
          !verifyInclusion(p.index, root.size, leafHash(fromHex(line.manifest.sha256)), p.hashes, root.hash)
        )
          bad(`${item} ${line.proof}`, 'inclusion proof does not lead to the checkpoint');
        else proofs++;
      } catch (err) {
        bad(`${item} ${line.proof}`, `malformed proof: ${(err as Error).message}`);
      }
    }
  }
  for (const name of entries.keys()) {
    const m = /^manifests\/([^/]+)\.json$/.exec(name);
    if (m && !seen.has(m[1]!))
      bad(`message ${m[1]}`, `${name} is in the bundle but messages.jsonl has no line for it`);
  }
  if (lines.length !== manifest.messages)
    bad(MESSAGES_JSONL, `${lines.length} lines, but EXPORT-MANIFEST.json says ${manifest.messages} messages`);

  // 3. Every file against the signed list, and nothing extra.
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const e = entries.get(f.path);
    if (!e) bad(f.path, 'listed in EXPORT-MANIFEST.json but missing from the bundle');
    else if (e.sha256 !== f.sha256 || e.size !== f.size)
      bad(f.path, `SHA-256 ${e.sha256} (${e.size} bytes) differs from EXPORT-MANIFEST.json`);
  }
  for (const name of entries.keys()) {
    if (name !== EXPORT_MANIFEST && !listed.has(name)) bad(name, 'not listed in EXPORT-MANIFEST.json');
  }

  return {
    ok: problems.length === 0,
    problems,
    messages: lines.length,
    files: entries.size,
    attachments,
    proofs,
    keysFrom: trustedKeys ? 'given' : 'bundle',
    checkpoint: manifest.checkpoint
      ? {
          origin: manifest.checkpoint.origin,
          treeSize: manifest.checkpoint.tree_size,
          rootHash: manifest.checkpoint.root_hash,
        }
      : null,
  };
}

export function formatReport(r: VerifyReport, file: string): string {
  const out = [`${file}: ${r.ok ? 'VERIFIED' : 'FAILED'}`];
  out.push(
    `  ${r.messages} messages, ${r.attachments} attachments, ${r.proofs} inclusion proofs, ${r.files} files`,
  );
  if (r.checkpoint)
    out.push(
      `  checkpoint: ${r.checkpoint.origin} size ${r.checkpoint.treeSize} root ${r.checkpoint.rootHash}`,
    );
  out.push(
    r.keysFrom === 'given'
      ? '  keys: as given with --keys'
      : "  keys: from the bundle itself (pass --keys with the archive's published keys to pin them)",
  );
  if (!r.ok) {
    const first = r.problems[0]!;
    out.push(`  first bad item: ${first.item}: ${first.problem}`);
    for (const p of r.problems.slice(1, 20)) out.push(`  also: ${p.item}: ${p.problem}`);
    if (r.problems.length > 20) out.push(`  … and ${r.problems.length - 20} more problems`);
  }
  return `${out.join('\n')}\n`;
}
