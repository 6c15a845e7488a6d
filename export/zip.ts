// Deterministic zips: entries in the order given, fixed timestamps and modes, files streamed from
// disk. Same inputs, same bytes (deflate is deterministic for a given zlib), which is what lets
// a resumed export end identical to an uninterrupted one.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/** DOS timestamps hold 1980..2107 in local time; the extended-timestamp field says it in UTC. */
export const ZIP_MTIME = new Date('2000-01-01T00:00:00Z');

export interface ZipEntry {
  /** The name inside the zip. */
  name: string;
  /** Where its bytes are on disk. */
  file: string;
  /** Store (no deflate): for content that is already compressed, like a nested zip. */
  store?: boolean;
}

export interface LazyZipEntry {
  name: string;
  /** Called when the zip reaches this entry (entries are written one after another, in order). */
  open: () => Readable;
}

/** Writes the zip to `${out}.tmp` and renames it into place once complete. */
export async function writeZip(entries: readonly ZipEntry[], out: string, onBytes?: (n: number) => void) {
  await writeLazyZip(
    entries.map((e) => ({ name: e.name, open: () => createReadStream(e.file), store: e.store })),
    out,
    onBytes,
  );
}

/** As writeZip, with each entry's bytes produced only when the zip gets to it. */
export async function writeLazyZip(
  entries: readonly (LazyZipEntry & { store?: boolean })[],
  out: string,
  onBytes?: (n: number) => void,
) {
  const zip = new ZipFile();
  for (const e of entries) {
    zip.addReadStreamLazy(e.name, { mtime: ZIP_MTIME, mode: 0o100644, compress: !e.store }, (cb) => {
      try {
        cb(null, e.open());
      } catch (err) {
        cb(err, undefined as never);
      }
    });
  }
  zip.end();
  const tmp = `${out}.tmp`;
  const sink = createWriteStream(tmp);
  if (onBytes) zip.outputStream.on('data', (c: Buffer) => onBytes(c.length));
  await pipeline(zip.outputStream, sink);
  await rename(tmp, out);
}
