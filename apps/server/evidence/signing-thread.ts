// Ed25519 signing off the HTTP event loop. A signature costs ~50 µs of CPU, a large share of an
// ack; on a worker thread it runs on whichever core has slack while the loop serves requests.
// Everything asked within one turn of the loop travels as one message (one copy in, one out).
//
// Safety: a request is answered with a signature or rejected with SigningUnavailableError (the
// ingest handler turns that into 503, never a 200 without a receipt). A thread that dies or stops
// answering is replaced; its in-flight requests are retried once on the new thread.
import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { type Ed25519Backend, sodiumPath } from '../../../evidence/ed25519-sign';
import type { SigningKey } from '../../../evidence/signing-key';

export class SigningUnavailableError extends Error {
  override name = 'SigningUnavailableError';
}

// Plain CommonJS, evaluated: no loader or build step is needed to start it (tsx, vitest, bundles).
// It signs as evidence/ed25519-sign.ts does: libsodium when the addon loads (the path resolved
// by the parent, since an evaluated thread resolves modules from the working directory), else
// node:crypto; both give the same bytes (Ed25519 is deterministic).
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { sign } = require('node:crypto');
let sodium = null;
try { if (workerData.sodium) sodium = require(workerData.sodium); } catch {}
function signerOf(key) {
  if (!sodium) return (data) => sign(null, data, key);
  const secretKey = sodium.sodium_malloc(64);
  const seed = key.export({ format: 'der', type: 'pkcs8' }).subarray(16);
  sodium.crypto_sign_seed_keypair(Buffer.alloc(32), secretKey, seed);
  seed.fill(0);
  sodium.sodium_mprotect_readonly(secretKey);
  return (data) => {
    const signature = Buffer.allocUnsafe(64);
    sodium.crypto_sign_detached(signature, data, secretKey);
    return signature;
  };
}
const signers = new Map();
parentPort.on('message', (m) => {
  if (m.key) signers.set(m.keyId, signerOf(m.key));
  const signer = signers.get(m.keyId);
  if (!signer) return parentPort.postMessage({ id: m.id, error: 'unknown key ' + m.keyId });
  const out = new Uint8Array(64 * m.lengths.length);
  let offset = 0;
  for (let i = 0; i < m.lengths.length; i++) {
    out.set(signer(m.data.subarray(offset, offset + m.lengths[i])), 64 * i);
    offset += m.lengths[i];
  }
  parentPort.postMessage({ id: m.id, backend: sodium ? 'libsodium' : 'node:crypto', signatures: out }, [out.buffer]);
});
`;

interface Pending {
  data: Uint8Array;
  resolve(signature: Buffer): void;
  reject(err: Error): void;
  attempts: number;
}

interface Batch {
  key: SigningKey;
  items: Pending[];
  timer: NodeJS.Timeout | undefined;
}

interface Reply {
  id: number;
  backend?: Ed25519Backend;
  signatures?: Uint8Array;
  error?: string;
}

export interface SigningThreadOptions {
  /** A batch not answered within this is treated as a hung thread: replaced, batch retried. */
  timeoutMs?: number;
  /** Tries per request across threads (a crash costs one). */
  maxAttempts?: number;
  /** Start the thread at once (default) rather than at the first request. */
  start?: boolean;
}

export class SigningThread {
  private worker: Worker | undefined;
  /** Key ids the current thread holds (the KeyObject is posted once per thread). */
  private keysSent = new Set<string>();
  private online = new WeakSet<Worker>();
  private queue = new Map<SigningKey, Pending[]>();
  private inFlight = new Map<number, Batch>();
  private nextId = 1;
  private flushScheduled = false;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  /** Counters for the benchmark and the tests. */
  readonly stats = { requests: 0, batches: 0, threadsStarted: 0, retried: 0, failed: 0 };
  /** What the thread signed its last batch with. */
  backend: Ed25519Backend | undefined;

  constructor(opts: SigningThreadOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxAttempts = opts.maxAttempts ?? 2;
    // Started now, not at the first ack, so that ack does not wait for a thread to boot.
    if (opts.start ?? true) this.ensureWorker();
  }

  sign(key: SigningKey, data: Uint8Array): Promise<Buffer> {
    if (this.closed) return Promise.reject(new SigningUnavailableError('the signing thread is closed'));
    this.stats.requests++;
    return new Promise((resolve, reject) => this.enqueue(key, { data, resolve, reject, attempts: 0 }));
  }

  /** The running thread, if any (diagnostics; the tests terminate it to prove recovery). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const [, items] of this.queue) for (const p of items) this.fail(p, 'the signing thread is closed');
    this.queue.clear();
    for (const [id, b] of this.inFlight) {
      clearTimeout(b.timer);
      this.inFlight.delete(id);
      for (const p of b.items) this.fail(p, 'the signing thread is closed');
    }
    await w?.terminate();
  }

  private enqueue(key: SigningKey, p: Pending) {
    const items = this.queue.get(key);
    if (items) items.push(p);
    else this.queue.set(key, [p]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush() {
    this.flushScheduled = false;
    if (this.closed) return;
    const queued = this.queue;
    this.queue = new Map();
    for (const [key, items] of queued) this.send(key, items);
  }

  private send(key: SigningKey, items: Pending[]) {
    let w: Worker;
    try {
      w = this.ensureWorker();
    } catch (err) {
      for (const p of items) this.fail(p, `cannot start the signing thread: ${(err as Error).message}`);
      return;
    }
    const lengths = items.map((p) => p.data.length);
    // A fresh (never pooled) buffer, so handing it over to the thread moves only our own bytes.
    const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    let offset = 0;
    for (const p of items) {
      p.attempts++;
      data.set(p.data, offset);
      offset += p.data.length;
    }
    const id = this.nextId++;
    // The clock runs from when the thread is up: starting one may take a while on a busy machine.
    const batch: Batch = { key, items, timer: undefined };
    const arm = () => {
      if (this.inFlight.get(id) !== batch) return;
      batch.timer = setTimeout(() => this.onHung(w), this.timeoutMs);
      batch.timer.unref();
    };
    this.inFlight.set(id, batch);
    if (this.online.has(w)) arm();
    else w.once('online', arm);
    const withKey = !this.keysSent.has(key.keyId);
    const message: { id: number; keyId: string; lengths: number[]; data: Uint8Array; key?: KeyObject } = {
      id,
      keyId: key.keyId,
      lengths,
      data,
    };
    if (withKey) message.key = key.privateKey;
    w.postMessage(message, [data.buffer]);
    this.keysSent.add(key.keyId);
    this.stats.batches++;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(THREAD_SOURCE, { eval: true, workerData: { sodium: sodiumPath() } });
    w.unref(); // never what keeps a process alive; pending requests hold their own timers
    w.once('online', () => this.online.add(w));
    w.on('message', (m: Reply) => this.onReply(m));
    w.on('error', () => {}); // an 'exit' follows; that is where its requests are retried
    w.on('exit', () => this.onExit(w));
    this.worker = w;
    this.keysSent = new Set();
    this.stats.threadsStarted++;
    return w;
  }

  private onReply(m: Reply) {
    const batch = this.inFlight.get(m.id);
    if (!batch) return; // answered after a timeout gave it up: already retried elsewhere
    this.inFlight.delete(m.id);
    clearTimeout(batch.timer);
    this.backend = m.backend;
    const sigs = m.signatures;
    if (!sigs || sigs.length !== 64 * batch.items.length) {
      for (const p of batch.items) this.fail(p, m.error ?? 'the signing thread answered malformed');
      return;
    }
    batch.items.forEach((p, i) => {
      p.resolve(Buffer.from(sigs.buffer, sigs.byteOffset + 64 * i, 64));
    });
  }

  private onHung(w: Worker) {
    if (this.worker === w) void w.terminate(); // its 'exit' retries what it held
  }

  /** The thread is gone: everything it held goes to the next one, or fails after maxAttempts. */
  private onExit(w: Worker) {
    if (this.worker === w) this.worker = undefined;
    for (const [id, b] of this.inFlight) {
      clearTimeout(b.timer);
      this.inFlight.delete(id);
      for (const p of b.items) {
        if (this.closed || p.attempts >= this.maxAttempts) {
          this.fail(p, 'the signing thread failed');
        } else {
          this.stats.retried++;
          this.enqueue(b.key, p);
        }
      }
    }
  }

  private fail(p: Pending, message: string) {
    this.stats.failed++;
    p.reject(new SigningUnavailableError(message));
  }
}
