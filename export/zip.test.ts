import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { writeZip, ZIP_MTIME, ZipWriter } from './zip';

const dir = mkdtempSync(path.join(tmpdir(), 'zip-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** name → bytes, read back through yauzl's central directory (as the offline verifier does). */
async function readZip(file: string): Promise<Map<string, { bytes: Buffer; mtime: Date }>> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (e, z) =>
      e ? rej(e) : res(z),
    ),
  );
  const out = new Map<string, { bytes: Buffer; mtime: Date }>();
  await new Promise<void>((resolve, reject) => {
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.on('entry', (e: yauzl.Entry) =>
      zip.openReadStream(e, (err, s) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('error', reject);
        s.on('end', () => {
          out.set(e.fileName, { bytes: Buffer.concat(chunks), mtime: e.getLastModDate() });
          zip.readEntry();
        });
      }),
    );
    zip.readEntry();
  });
  zip.close();
  return out;
}

describe('ZipWriter', () => {
  const big = Buffer.alloc(3_000_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  const files = new Map<string, Buffer>([
    ['a.txt', Buffer.from('hello\n'.repeat(1000))],
    ['sub/ü nicode.bin', big],
    ['empty', Buffer.alloc(0)],
    ['stored.zip', Buffer.from('already compressed')],
  ]);
  for (const [name, bytes] of files) writeFileSync(path.join(dir, name.replace(/\//g, '_')), bytes);
  const entries = [...files.keys()].map((name) => ({
    name,
    file: path.join(dir, name.replace(/\//g, '_')),
    store: name.endsWith('.zip'),
  }));

  it('writes entries that yauzl, Python and unzip read back byte-exact, with fixed UTC times', async () => {
    const out = path.join(dir, 'one.zip');
    await writeZip(entries, out);
    const back = await readZip(out);
    expect([...back.keys()]).toEqual([...files.keys()]);
    for (const [name, bytes] of files) expect(back.get(name)?.bytes.equals(bytes)).toBe(true);
    execFileSync('unzip', ['-tq', out]);
    const py = execFileSync(
      'python3',
      [
        '-c',
        'import sys,zipfile,hashlib,json\nz=zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({i.filename:[hashlib.sha256(z.read(i)).hexdigest(),i.date_time] for i in z.infolist()}))',
        out,
      ],
      { encoding: 'utf8' },
    );
    const parsed = JSON.parse(py) as Record<string, [string, number[]]>;
    for (const [name, bytes] of files) {
      expect(parsed[name]?.[0]).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(parsed[name]?.[1]).toEqual([2000, 1, 1, 0, 0, 0]);
    }
    expect(ZIP_MTIME.toISOString()).toBe('2000-01-01T00:00:00.000Z');
  });

  it('is deterministic: the same entries give the same bytes', async () => {
    await writeZip(entries, path.join(dir, 'a.zip'));
    await writeZip(entries, path.join(dir, 'b.zip'));
    expect(readFileSync(path.join(dir, 'a.zip')).equals(readFileSync(path.join(dir, 'b.zip')))).toBe(true);
  });

  it('addBytes gives the bytes add() streams for the same entries (deflated and stored)', async () => {
    const streamed = path.join(dir, 'streamed.zip');
    await writeZip(entries, streamed);
    const fromMemory = path.join(dir, 'memory.zip');
    const zip = new ZipWriter(fromMemory);
    for (const e of entries) await zip.addBytes(e.name, readFileSync(e.file), { store: e.store });
    await zip.finish();
    expect(readFileSync(fromMemory).equals(readFileSync(streamed))).toBe(true);
    const back = await readZip(fromMemory);
    for (const [name, bytes] of files) expect(back.get(name)?.bytes.equals(bytes)).toBe(true);
  });

  it('writes ZIP64 end records past 65,535 entries, and readers still see every one', async () => {
    const out = path.join(dir, 'many.zip');
    const zip = new ZipWriter(out);
    const n = 70_000;
    for (let i = 0; i < n; i++)
      await zip.add(`f/${i}`, Readable.from([Buffer.from(String(i))]), { store: true });
    await zip.finish();
    const back = await readZip(out);
    expect(back.size).toBe(n);
    expect(back.get('f/69999')?.bytes.toString()).toBe('69999');
    const count = execFileSync(
      'python3',
      ['-c', 'import sys,zipfile;print(len(zipfile.ZipFile(sys.argv[1]).infolist()))', out],
      {
        encoding: 'utf8',
      },
    );
    expect(Number(count)).toBe(n);
  }, 120_000);

  it('leaves nothing behind when an entry fails', async () => {
    const out = path.join(dir, 'failed.zip');
    await expect(writeZip([{ name: 'x', file: path.join(dir, 'no-such-file') }], out)).rejects.toThrow();
    expect(() => readFileSync(out)).toThrow();
    expect(() => readFileSync(`${out}.tmp`)).toThrow();
  });
});
