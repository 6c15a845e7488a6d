import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jcs } from '../evidence/jcs';
import { signingKeyFromSeed } from '../evidence/signing-key';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type FileEntry } from './layout';
import { signExportManifest, signSpooledExportManifest, verifyExportManifest } from './signed-manifest';

describe('signSpooledExportManifest', () => {
  const key = signingKeyFromSeed(randomBytes(32));
  const published = [
    {
      key_id: key.keyId,
      alg: 'Ed25519' as const,
      public_key: key.publicKey.toString('base64'),
      created_at: '',
    },
  ];
  const head = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    export_id: 'e1',
    tenant_id: 't1',
    created_at: '2026-01-01T00:00:00.000Z',
    // A filter that spells the splice marker inside a string must not move the splice.
    filters: { from: 'a', to: 'b', q: '"files":[] ünï', formats: ['eml'] },
    messages: 2,
    checkpoint: null,
  } as const;
  const files: FileEntry[] = [
    { path: 'raw/a "quoted".json', sha256: 'a'.repeat(64), size: 1 },
    { path: 'eml/ü.eml', sha256: 'b'.repeat(64), size: 123456789 },
  ];

  it('signs the bytes signExportManifest signs, from one JCS line per file', async () => {
    const spool = path.join(mkdtempSync(path.join(tmpdir(), 'spool-')), 'files.jsonl');
    writeFileSync(spool, files.map((f) => `${jcs(f)}\n`).join(''));
    const spooled = await signSpooledExportManifest(head, spool, key);
    const whole = signExportManifest({ ...head, files }, key);
    expect(spooled.signature).toBe(whole.signature);
    expect(verifyExportManifest({ ...head, files, ...spooled }, published)).toEqual({ ok: true });
    expect(verifyExportManifest({ ...head, files: files.slice(1), ...spooled }, published).ok).toBe(false);
  });
});
