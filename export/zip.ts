// Deterministic, streaming zips: entries in the order added, fixed timestamps and modes, each
// entry's bytes streamed through deflate straight to the file, with backpressure. Same inputs, same
// bytes (deflate is deterministic for a given zlib), which is what lets a resumed export end
// identical to an uninterrupted one. Memory is O(1) in the number of entries: each central-
// directory record is spooled to a side file as its entry ends and copied in at the end (a zip
// library that keeps an object per entry until the end holds ~0.5 KB an entry: 25 MB for an
// export of 10,000 messages). ZIP64 records are written where sizes, offsets or counts need them.

import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

/** DOS timestamps hold 1980..2107; written from UTC fields (the same on every machine's time zone). */
export const ZIP_MTIME = new Date('2000-01-01T00:00:00Z');
const FILE_MODE = 0o100644;
const U32 = 0xffff_ffff;
const U16 = 0xffff;
const FLAGS = 0x0008 /* sizes in a data descriptor */ | 0x0800; /* UTF-8 names */

export class ZipEntryError extends Error {
  override name = 'ZipEntryError';
}

export interface ZipEntry {
  /** The name inside the zip. */
  name: string;
  /** Where its bytes are on disk. */
  file: string;
  /** Store (no deflate): for content that is already compressed, like a nested zip. */
  store?: boolean;
}

function dosDateTime(d: Date): { date: number; time: number } {
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** Extended-timestamp extra field (0x5455): the modification time in UTC seconds. */
function timestampExtra(d: Date): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4);
  b.writeUInt32LE(Math.floor(d.getTime() / 1000), 5);
  return b;
}

/**
 * Writes a zip to `${out}.tmp` (central directory spooled to `${out}.cd.tmp`) and renames it into
 * place on finish(). Add entries one at a time: each add() resolves once its bytes are written.
 */
export class ZipWriter {
  readonly #out: string;
  readonly #sink: WriteStream;
  readonly #cd: WriteStream;
  readonly #dos = dosDateTime(ZIP_MTIME);
  readonly #extra = timestampExtra(ZIP_MTIME);
  #offset = 0;
  #cdSize = 0;
  #count = 0;

  constructor(out: string) {
    this.#out = out;
    this.#sink = createWriteStream(`${out}.tmp`);
    this.#cd = createWriteStream(`${out}.cd.tmp`);
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.#offset;
  }

  async #write(stream: WriteStream, b: Buffer): Promise<void> {
    if (!stream.write(b)) await once(stream, 'drain');
  }

  async #emit(b: Buffer): Promise<void> {
    this.#offset += b.length;
    await this.#write(this.#sink, b);
  }

  async add(
    name: string,
    source: Readable | AsyncIterable<Buffer>,
    opts: { store?: boolean } = {},
  ): Promise<void> {
    const entry = await this.#begin(name, opts);
    let crc = 0;
    let size = 0;
    let compressed = 0;
    const deflate = opts.store ? undefined : createDeflateRaw();
    const counted = async function* (input: AsyncIterable<Buffer>) {
      for await (const chunk of input) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        yield chunk;
      }
    };
    const sink = async (input: AsyncIterable<Buffer>) => {
      for await (const chunk of input) {
        compressed += chunk.length;
        await this.#emit(chunk);
      }
    };
    if (deflate) await pipeline(source, counted, deflate, sink);
    else await pipeline(source, counted, sink);
    await this.#end(entry, crc, size, compressed);
  }

  /**
   * One entry from bytes in memory: for the bundle's many small files, where a deflate stream
   * per file (its set-up, its buffers, the pipeline's turns) cost more than the compression.
   * Deflate is one call with the same settings, so the bytes equal add()'s for the same input.
   */
  async addBytes(name: string, data: Buffer, opts: { store?: boolean } = {}): Promise<void> {
    const entry = await this.#begin(name, opts);
    const body = opts.store ? data : deflateRawSync(data);
    await this.#emit(body);
    await this.#end(entry, crc32(data), data.length, body.length);
  }

  async #begin(name: string, opts: { store?: boolean }) {
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length > U16) throw new ZipEntryError(`${name}: name too long for a zip`);
    const method = opts.store ? 0 : 8;
    const headerOffset = this.#offset;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(this.#dos.time, 10);
    local.writeUInt16LE(this.#dos.date, 12);
    // crc and sizes follow in the data descriptor
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(this.#extra.length, 28);
    await this.#emit(Buffer.concat([local, nameBytes, this.#extra]));
    return { nameBytes, method, headerOffset };
  }

  async #end(
    { nameBytes, method, headerOffset }: { nameBytes: Buffer; method: number; headerOffset: number },
    crc: number,
    size: number,
    compressed: number,
  ): Promise<void> {
    const zip64 = size >= U32 || compressed >= U32;
    const descriptor = Buffer.alloc(zip64 ? 24 : 16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (zip64) {
      descriptor.writeBigUInt64LE(BigInt(compressed), 8);
      descriptor.writeBigUInt64LE(BigInt(size), 16);
    } else {
      descriptor.writeUInt32LE(compressed, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    await this.#emit(descriptor);

    // The central-directory record; ZIP64 extra only for the fields that do not fit 32 bits.
    const big: bigint[] = [];
    if (size >= U32) big.push(BigInt(size));
    if (compressed >= U32) big.push(BigInt(compressed));
    if (headerOffset >= U32) big.push(BigInt(headerOffset));
    const z64 = Buffer.alloc(big.length > 0 ? 4 + 8 * big.length : 0);
    if (big.length > 0) {
      z64.writeUInt16LE(0x0001, 0);
      z64.writeUInt16LE(8 * big.length, 2);
      for (const [i, v] of big.entries()) z64.writeBigUInt64LE(v, 4 + 8 * i);
    }
    const rec = Buffer.alloc(46);
    rec.writeUInt32LE(0x02014b50, 0);
    rec.writeUInt16LE((3 << 8) | 63, 4); // made by: Unix, spec 6.3
    rec.writeUInt16LE(big.length > 0 ? 45 : 20, 6);
    rec.writeUInt16LE(FLAGS, 8);
    rec.writeUInt16LE(method, 10);
    rec.writeUInt16LE(this.#dos.time, 12);
    rec.writeUInt16LE(this.#dos.date, 14);
    rec.writeUInt32LE(crc, 16);
    rec.writeUInt32LE(Math.min(compressed, U32), 20);
    rec.writeUInt32LE(Math.min(size, U32), 24);
    rec.writeUInt16LE(nameBytes.length, 28);
    rec.writeUInt16LE(z64.length + this.#extra.length, 30);
    // comment length, disk number, internal attributes: 0
    rec.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
    rec.writeUInt32LE(Math.min(headerOffset, U32), 42);
    const record = Buffer.concat([rec, nameBytes, z64, this.#extra]);
    this.#cdSize += record.length;
    this.#count++;
    await this.#write(this.#cd, record);
  }

  /** Copies the central directory in, writes the end records, and renames the zip into place. */
  async finish(): Promise<void> {
    this.#cd.end();
    await once(this.#cd, 'finish');
    const cdOffset = this.#offset;
    await pipeline(createReadStream(`${this.#out}.cd.tmp`), this.#sink, { end: false });
    this.#offset += this.#cdSize;
    const ends: Buffer[] = [];
    if (this.#count >= U16 || cdOffset >= U32 || this.#cdSize >= U32) {
      const eocd64 = Buffer.alloc(56);
      eocd64.writeUInt32LE(0x06064b50, 0);
      eocd64.writeBigUInt64LE(44n, 4); // size of the rest of this record
      eocd64.writeUInt16LE((3 << 8) | 63, 12);
      eocd64.writeUInt16LE(45, 14);
      eocd64.writeBigUInt64LE(BigInt(this.#count), 24);
      eocd64.writeBigUInt64LE(BigInt(this.#count), 32);
      eocd64.writeBigUInt64LE(BigInt(this.#cdSize), 40);
      eocd64.writeBigUInt64LE(BigInt(cdOffset), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(this.#offset), 8);
      locator.writeUInt32LE(1, 16);
      ends.push(eocd64, locator);
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(Math.min(this.#count, U16), 8);
    eocd.writeUInt16LE(Math.min(this.#count, U16), 10);
    eocd.writeUInt32LE(Math.min(this.#cdSize, U32), 12);
    eocd.writeUInt32LE(Math.min(cdOffset, U32), 16);
    ends.push(eocd);
    this.#sink.end(Buffer.concat(ends));
    await once(this.#sink, 'finish');
    await rm(`${this.#out}.cd.tmp`, { force: true });
    await rename(`${this.#out}.tmp`, this.#out);
  }

  /** Drops the partial files (after a failed add). */
  async abort(): Promise<void> {
    for (const s of [this.#sink, this.#cd]) {
      s.on('error', () => {}); // a write still in flight fails once destroyed: nothing to report
      s.destroy();
      await finished(s).catch(() => {});
    }
    await rm(`${this.#out}.tmp`, { force: true });
    await rm(`${this.#out}.cd.tmp`, { force: true });
  }
}

/** A zip of files on disk, in the order given. */
export async function writeZip(entries: readonly ZipEntry[], out: string): Promise<void> {
  const zip = new ZipWriter(out);
  try {
    for (const e of entries) await zip.add(e.name, createReadStream(e.file), { store: e.store });
    await zip.finish();
  } catch (err) {
    await zip.abort();
    throw err;
  }
}
