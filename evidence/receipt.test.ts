// Receipts and checkpoints verified by implementations that are not ours: python3's
// `cryptography` and `openssl pkeyutl -rawin`; a changed field must fail both.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSigningKeyCli } from '../apps/cli/signing-key';
import {
  formatCheckpoint,
  formatTlogProof,
  noteKeyId,
  openNote,
  parseCheckpoint,
  parseTlogProof,
  signNote,
  verifierKey,
} from './checkpoint';
import { JcsError, jcsBytes } from './jcs';
import { inclusionProof, leafHash, rootFromLeafHashes, verifyInclusion } from './merkle';
import {
  type Receipt,
  receiptCanonicalBytes,
  receiptSigningInput,
  signReceipt,
  unsignedReceipt,
  verifyReceipt,
} from './receipt';
import { KEYRING_FILE, openKeyring, rotateKeyring, signingKeyFromSeed } from './signing-key';

const fields = {
  message_id: '0d3c5b7e-59b4-5f4e-9a43-2b0b1b6f4f11',
  external_id: 'msg-42',
  endpoint_id: '6f1d8a52-2d8f-4c1e-9a2b-6d8e1f0c2b3a',
  tenant_id: '9b2c8d1e-7f6a-4e5d-8c3b-2a1f0e9d8c7b',
  raw_sha256: 'a'.repeat(64),
  received_at: '2026-05-28T14:30:00.123Z',
};

const PY_VERIFY = `
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
receipt = json.loads(sys.argv[1]); keys = json.loads(sys.argv[2])["keys"]
key = next(k for k in keys if k["key_id"] == receipt["key_id"])
sig = base64.b64decode(receipt.pop("signature"))
# RFC 8785 for these members (ASCII strings and a small integer) is sorted, compact JSON.
msg = json.dumps(receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(sig, msg)
print("ok")
`;

function pythonVerifies(receipt: Receipt, keys: unknown): boolean {
  const r = spawnSync('python3', ['-c', PY_VERIFY, JSON.stringify(receipt), JSON.stringify({ keys })], {
    encoding: 'utf8',
  });
  return r.status === 0 && r.stdout.trim() === 'ok';
}

function opensslVerifies(publicKeyB64: string, data: Buffer, signatureB64: string): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'ed25519-'));
  const der = Buffer.concat([
    Buffer.from('302a300506032b6570032100', 'hex'),
    Buffer.from(publicKeyB64, 'base64'),
  ]);
  writeFileSync(path.join(dir, 'pub.der'), der);
  writeFileSync(path.join(dir, 'data'), data);
  writeFileSync(path.join(dir, 'sig'), Buffer.from(signatureB64, 'base64'));
  const r = spawnSync(
    'openssl',
    [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      path.join(dir, 'pub.der'),
      '-keyform',
      'DER',
      '-rawin',
      '-in',
      path.join(dir, 'data'),
      '-sigfile',
      path.join(dir, 'sig'),
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 && /Signature Verified Successfully/.test(r.stdout);
}

describe('keyring', () => {
  it('is created once in DATA_DIR with mode 0600 and reloads the same key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keyring-'));
    const a = openKeyring({ DATA_DIR: dir });
    const b = openKeyring({ DATA_DIR: dir });
    expect(b.current.keyId).toBe(a.current.keyId);
    expect(statSync(path.join(dir, KEYRING_FILE)).mode & 0o777).toBe(0o600);
    expect(a.published).toEqual([expect.objectContaining({ key_id: a.current.keyId, alg: 'Ed25519' })]);
    expect(JSON.stringify(a.published)).not.toContain('seed');
  });

  it('rotation keeps the old public key published with retired_at, and old receipts verify', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keyring-'));
    const before = openKeyring({ DATA_DIR: dir });
    const old = signReceipt(fields, before.current);
    const after = rotateKeyring(dir);
    expect(after.current.keyId).not.toBe(before.current.keyId);
    expect(after.published).toHaveLength(2);
    expect(after.published[0]).toMatchObject({
      key_id: before.current.keyId,
      retired_at: expect.any(String),
    });
    expect(after.published[1]?.retired_at).toBeUndefined();
    expect(verifyReceipt(old, after.published)).toEqual({ ok: true });
    expect(verifyReceipt(old, openKeyring({ DATA_DIR: dir }).published)).toEqual({ ok: true });
  });

  it('scripts/signing-key lists and rotates the file keyring', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keyring-'));
    let out = '';
    const run = (...argv: string[]) => runSigningKeyCli(argv, { DATA_DIR: dir }, (s) => (out += s));
    expect(run('list')).toBe(0);
    const before = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)).current as string;
    out = '';
    expect(run('rotate')).toBe(0);
    const after = openKeyring({ DATA_DIR: dir });
    expect(after.current.keyId).not.toBe(before);
    expect(after.published.find((k) => k.key_id === before)?.retired_at).toEqual(expect.any(String));
    expect(run('bogus')).toBe(2);
    expect(
      runSigningKeyCli(
        ['rotate'],
        { DATA_DIR: dir, SIGNING_KEY: Buffer.alloc(32).toString('base64') },
        () => {},
      ),
    ).toBe(2);
  });

  it('SIGNING_KEY from env wins and is published', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keyring-'));
    const seed = Buffer.alloc(32, 7).toString('base64');
    const ring = openKeyring({ DATA_DIR: dir, SIGNING_KEY: seed });
    expect(ring.current.keyId).toBe(signingKeyFromSeed(Buffer.alloc(32, 7)).keyId);
    expect(ring.published.map((k) => k.key_id)).toEqual([ring.current.keyId]);
    expect(() => openKeyring({ DATA_DIR: dir, SIGNING_KEY: 'short' })).toThrow();
  });
});

describe('receipts', () => {
  const ring = openKeyring({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'keyring-')) });
  const receipt = signReceipt(fields, ring.current);

  it('has the documented shape and signs the JCS bytes of everything but the signature', () => {
    expect(Object.keys(receipt).sort()).toEqual([
      'endpoint_id',
      'external_id',
      'key_id',
      'message_id',
      'raw_sha256',
      'received_at',
      'signature',
      'tenant_id',
      'v',
    ]);
    const { signature: _s, ...rest } = receipt;
    expect(receiptSigningInput(receipt).equals(jcsBytes(rest))).toBe(true);
    expect(verifyReceipt(receipt, ring.published)).toEqual({ ok: true });
  });

  it('verifies with python3 cryptography and with openssl; a changed field fails both', () => {
    expect(pythonVerifies(receipt, ring.published)).toBe(true);
    const key = ring.published[0]!.public_key;
    expect(opensslVerifies(key, receiptSigningInput(receipt), receipt.signature)).toBe(true);
    for (const [field, value] of [
      ['external_id', 'msg-43'],
      ['raw_sha256', 'b'.repeat(64)],
      ['received_at', '2026-05-28T14:30:00.124Z'],
      ['tenant_id', fields.endpoint_id],
    ] as const) {
      const changed = { ...receipt, [field]: value };
      expect(verifyReceipt(changed, ring.published)).toEqual({ ok: false, reason: 'bad_signature' });
      expect(pythonVerifies(changed, ring.published)).toBe(false);
      expect(opensslVerifies(key, receiptSigningInput(changed), receipt.signature)).toBe(false);
    }
  });

  it('the fixed-shape canonical form the ack signs equals the general jcs() for hostile strings', () => {
    const controls = Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)).join('');
    const hostile = [
      '',
      'plain-ascii_0123',
      '"quoted"',
      'back\\slash\\',
      '\\"',
      controls,
      '\u007f\u0080\u00ff',
      '\u2028\u2029',
      'é€\ufb33\uffff',
      '\ud83d\ude00 non-BMP \u{10ffff}',
      '</script><!--',
      '{"v":2}',
    ];
    // Plus pseudo-random strings over every code unit class but lone surrogates.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pool = ['"', '\\', '\n', '\u0000', '\u001f', 'a', '~', '\u00e9', '\u20ac', '\ud83d\ude00'];
    for (let i = 0; i < 200; i++)
      hostile.push(Array.from({ length: rnd(12) }, () => pool[rnd(pool.length)]).join(''));
    for (const value of hostile)
      for (const field of Object.keys(fields) as (keyof typeof fields)[]) {
        const u = unsignedReceipt({ ...fields, [field]: value }, ring.current.keyId);
        const fast = receiptCanonicalBytes(u).toString('utf8');
        expect(fast).toBe(jcsBytes(u).toString('utf8'));
        // And an oracle sharing no code with either: well-formed JSON.stringify over sorted members.
        const sorted = Object.fromEntries(Object.entries(u).sort(([a], [b]) => (a < b ? -1 : 1)));
        expect(fast).toBe(JSON.stringify(sorted));
      }
    // What the ack signs verifies through the general jcs(), escapes and all.
    const odd = signReceipt({ ...fields, external_id: `${controls}"\\\ud83d\ude00` }, ring.current);
    expect(verifyReceipt(odd, ring.published)).toEqual({ ok: true });
    // Lone surrogates have no UTF-8 form: both refuse them.
    for (const lone of ['\ud800', 'x\udc00', '\ude00\ud83d']) {
      const u = unsignedReceipt({ ...fields, external_id: lone }, ring.current.keyId);
      expect(() => receiptCanonicalBytes(u)).toThrow(JcsError);
      expect(() => jcsBytes(u)).toThrow(JcsError);
      expect(() => signReceipt({ ...fields, external_id: lone }, ring.current)).toThrow(JcsError);
    }
  });

  it('an unknown key or a garbled signature fails', () => {
    expect(verifyReceipt({ ...receipt, key_id: '00'.repeat(8) }, ring.published)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
    expect(verifyReceipt({ ...receipt, signature: 'not base64!' }, ring.published)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});

describe('checkpoints (C2SP signed note)', () => {
  const ring = openKeyring({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'keyring-')) });
  const origin = 'archive.example.com/webhook-archive/9b2c8d1e';
  const leaves = Array.from({ length: 11 }, (_, i) => leafHash(Buffer.from(`m${i}`)));
  const root = rootFromLeafHashes(leaves);
  const body = formatCheckpoint({ origin, size: leaves.length, rootHash: root });
  const note = signNote(body, origin, ring.current);
  const verifier = { name: origin, publicKey: ring.current.publicKey };

  it('is origin, size, base64 root, then a blank line and an em-dash signature line', () => {
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual([origin, '11', root.toString('base64'), '']);
    expect(lines[4]).toMatch(new RegExp(`^\u2014 ${origin} [A-Za-z0-9+/=]+$`));
    const blob = Buffer.from((lines[4] as string).split(' ')[2] as string, 'base64');
    expect(blob.subarray(0, 4).equals(noteKeyId(origin, ring.current.publicKey))).toBe(true);
    expect(verifierKey(origin, ring.current.publicKey)).toMatch(new RegExp(`^${origin}\\+[0-9a-f]{8}\\+`));
  });

  it('opens with the published key and parses back; tampering fails', () => {
    const opened = openNote(note, [verifier]);
    expect(parseCheckpoint(opened.body)).toEqual({ origin, size: 11, rootHash: root });
    expect(() => openNote(note.replace('\n11\n', '\n12\n'), [verifier])).toThrow();
    const other = openKeyring({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'keyring-')) });
    expect(() => openNote(note, [{ name: origin, publicKey: other.current.publicKey }])).toThrow();
  });

  it('the signature verifies with openssl over the note body', () => {
    const blob = Buffer.from(note.trimEnd().split(' ').at(-1) as string, 'base64');
    const key = ring.published[0]!.public_key;
    expect(opensslVerifies(key, Buffer.from(body), blob.subarray(4).toString('base64'))).toBe(true);
  });

  it('a tlog-proof round-trips and its proof verifies against the checkpoint', () => {
    const text = formatTlogProof({ index: 5, hashes: inclusionProof(leaves, 5), checkpoint: note });
    expect(text.startsWith('c2sp.org/tlog-proof@v1\nindex 5\n')).toBe(true);
    const parsed = parseTlogProof(text);
    const cp = parseCheckpoint(openNote(parsed.checkpoint, [verifier]).body);
    expect(verifyInclusion(parsed.index, cp.size, leaves[5] as Buffer, parsed.hashes, cp.rootHash)).toBe(
      true,
    );
    expect(verifyInclusion(parsed.index, cp.size, leaves[4] as Buffer, parsed.hashes, cp.rootHash)).toBe(
      false,
    );
  });
});
