// PGlite served over the PostgreSQL wire protocol on a Unix socket, so the embedded database runs
// in a process of its own (a core of its own) and the HTTP server and worker reach it with the
// same postgres.js driver they use for PostgreSQL.
//
// PGlite is one backend with one session. @electric-sql/pglite-socket 0.2.17 feeds it every
// client's messages one by one as they arrive, so two connections interleave inside each other's
// extended-protocol sequences (unnamed statement, portal) and implicit transactions (upstream
// electric-sql/pglite#1046). Here a connection holds the session exclusively from its first
// message until it is idle again: its last exchange ended with ReadyForQuery (Sync, Query or
// FunctionCall, not a Flush that awaits a Describe's answer) and PGlite is outside a transaction
// block. Whatever else arrives meanwhile waits its turn; turns go round the connections in order.
// The one round trip postgres.js makes mid-exchange (Describe, then Bind) does not hold the
// session: see run().
// Session-level state (SET, LISTEN) would still be shared between connections: the application
// uses only transaction-local settings (set_config(..., true)). Named prepared statements do not
// collide: postgres.js names them with a random per-connection prefix; a gone connection's are
// closed, since the session outlives every connection.
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** Messages after which the backend answers with ReadyForQuery. */
const ENDS_EXCHANGE = new Set(['S', 'Q', 'F'].map((c) => c.charCodeAt(0)));
/** Flush: the client waits for what it has sent so far, mid-sequence. */
const FLUSH = 'H'.charCodeAt(0);
const TERMINATE = 'X'.charCodeAt(0);
const EMPTY = Buffer.alloc(0);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const PARSE_COMPLETE = Buffer.from([0x31, 0, 0, 0, 4]);
const READY_FOR_QUERY = 0x5a;
const [PARSE, BIND, DESCRIBE, QUERY] = ['P', 'B', 'D', 'Q'].map((c) => c.charCodeAt(0));
/** Ends an abandoned exchange (Sync) and an abandoned transaction block (ROLLBACK). */
const ABANDON = Buffer.concat([SYNC, simpleQuery('ROLLBACK')]);

interface Job {
  bytes: Buffer;
  /** The exchange is complete: the session may pass to another connection afterwards. */
  complete: boolean;
}

class Connection {
  buffer: Buffer = Buffer.alloc(0);
  started = false;
  jobs: Job[] = [];
  closed = false;
  /** Its last Parse of the unnamed statement (postgres.js binds it a round trip later). */
  unnamedParse: Buffer | undefined;
  /** The named statements it prepared: they outlive it in the shared session unless closed. */
  statements = new Set<string>();
  /** undefined: the server's own clean-up work, whose answer nobody reads. */
  constructor(readonly socket: Socket | undefined) {}
}

export interface SessionServerOptions {
  /** A fatal PGlite error (the process should exit and be restarted). */
  onFatal(err: unknown): void;
}

export class PgliteSessionServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  /** The connection holding the session (mid-exchange or inside a transaction block). */
  private owner: Connection | undefined;
  /** Connections with work, in arrival order. */
  private readonly turns: Connection[] = [];
  private running = false;
  /** The connection whose Parse the backend's unnamed statement is. */
  private unnamedBy: Connection | undefined;
  /** The connection whose job PGlite is running. */
  private current: Connection | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly opts: SessionServerOptions,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(socketPath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops accepting, drops every connection (an open transaction is rolled back) and drains. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.socket?.destroy();
    await closed;
    while (this.running || this.turns.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private accept(socket: Socket): void {
    const conn = new Connection(socket);
    this.connections.add(conn);
    socket.on('data', (chunk: Buffer) => {
      conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
      this.frame(conn);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.drop(conn));
  }

  /** Cuts the connection's buffer into jobs: whole messages up to the last exchange boundary. */
  private frame(conn: Connection): void {
    if (conn.closed) return;
    if (!conn.started && !this.frameStartup(conn)) return;
    const buf = conn.buffer;
    let offset = 0;
    let cut = 0;
    let complete = true;
    while (buf.length - offset >= 5) {
      const type = buf[offset]!;
      const length = buf.readInt32BE(offset + 1);
      if (length < 4) {
        this.refuse(conn); // a length counts itself: below 4 never advances
        return;
      }
      const end = offset + 1 + length;
      if (end > buf.length) break;
      if (type === TERMINATE) {
        // postgres.js terminates only once idle: nothing before it is awaiting an answer.
        conn.socket?.end();
        this.drop(conn);
        return;
      }
      offset = end;
      if (ENDS_EXCHANGE.has(type)) {
        cut = offset;
        complete = true;
      } else if (type === FLUSH) {
        cut = offset;
        complete = false;
      }
    }
    if (cut === 0) return;
    this.queue(conn, buf.subarray(0, cut), complete);
    conn.buffer = buf.subarray(cut);
  }

  /** The untyped startup-phase packets; true once the startup message itself is queued. */
  private frameStartup(conn: Connection): boolean {
    while (conn.buffer.length >= 8) {
      const length = conn.buffer.readInt32BE(0);
      if (length < 8) {
        this.refuse(conn);
        return false;
      }
      if (conn.buffer.length < length) return false;
      const code = conn.buffer.readInt32BE(4);
      const packet = conn.buffer.subarray(0, length);
      conn.buffer = conn.buffer.subarray(length);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        conn.socket?.write('N'); // a local socket: no TLS, no GSSAPI
      } else if (code === CANCEL_REQUEST) {
        conn.socket?.destroy(); // not supported: one backend, nothing runs long enough to cancel
        return false;
      } else {
        conn.started = true;
        this.queue(conn, packet, true);
        return true;
      }
    }
    return false;
  }

  /** A malformed message: nothing after it can be framed, so the connection goes. */
  private refuse(conn: Connection): void {
    conn.socket?.destroy();
    this.drop(conn);
  }

  private queue(conn: Connection, bytes: Buffer, complete: boolean): void {
    if (bytes.length === 0) return;
    // No copy: every 'data' event brings a fresh Buffer, and the remainder is a new slice.
    conn.jobs.push({ bytes, complete });
    if (conn.jobs.length === 1 && conn !== this.owner) this.turns.push(conn);
    void this.pump();
  }

  private drop(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.jobs = [];
    this.connections.delete(conn);
    // Mid-job, pump() sees it closed when the job returns.
    if (this.current !== conn) {
      if (this.owner === conn) this.release();
      this.forgetStatements(conn);
    }
  }

  /**
   * A gone connection's named statements are closed: the session is shared and long-lived, and
   * postgres.js recycles its connections (max_lifetime), each with new statement names, so they
   * would pile up in PGlite's memory for as long as the process runs.
   */
  private forgetStatements(conn: Connection): void {
    if (conn.statements.size === 0) return;
    const cleanup = new Connection(undefined);
    cleanup.jobs.push({
      bytes: Buffer.concat([...[...conn.statements].map(closeStatement), SYNC]),
      complete: true,
    });
    conn.statements.clear();
    this.turns.push(cleanup);
    void this.pump();
  }

  /** The owner left mid-exchange or mid-transaction: undo what it left open, before anyone else runs. */
  private release(): void {
    this.owner = undefined;
    const cleanup = new Connection(undefined);
    cleanup.jobs.push({ bytes: ABANDON, complete: true });
    this.turns.unshift(cleanup);
    void this.pump();
  }

  private next(): Connection | undefined {
    if (this.owner) return this.owner.jobs.length > 0 ? this.owner : undefined;
    while (this.turns.length > 0) {
      const conn = this.turns.shift()!;
      if (conn.jobs.length > 0) return conn;
    }
    return undefined;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let conn = this.next(); conn; conn = this.next()) {
        const job = conn.jobs.shift()!;
        this.current = conn;
        const { out, complete } = await this.run(conn, job);
        this.current = undefined;
        if (!conn.closed && out.length > 0) conn.socket?.write(out);
        const holds = !complete || this.pglite.isInTransaction();
        if (conn.closed || !conn.socket) {
          if (holds) this.release();
          else this.owner = undefined;
          this.forgetStatements(conn);
          continue;
        }
        this.owner = holds ? conn : undefined;
        // Its turn is over: the others' work first, then the rest of its own.
        if (!holds && conn.jobs.length > 0) this.turns.push(conn);
      }
    } catch (err) {
      this.opts.onFatal(err);
    } finally {
      this.running = false;
      this.current = undefined;
    }
  }

  /**
   * One job through PGlite. postgres.js runs most queries as Parse + Describe + Flush, waits for
   * the parameter types, then sends Bind + Execute + Sync: holding the session across that round
   * trip would idle the database for as long as the client's event loop takes to answer. Instead
   * the first half runs as an exchange of its own (a Sync appended, its ReadyForQuery kept from
   * the client: Parse and Describe change nothing), and if another connection has replaced the
   * unnamed statement meanwhile, the second half is preceded by this connection's Parse again
   * (its ParseComplete kept from the client).
   */
  private async run(conn: Connection, job: Job): Promise<{ out: Uint8Array; complete: boolean }> {
    const shape = inspect(job.bytes);
    const reparse = shape.bindsUnnamedFirst && this.unnamedBy !== conn && conn.unnamedParse !== undefined;
    const detach = !job.complete && shape.onlyParseDescribe;
    const parts = [reparse ? conn.unnamedParse! : EMPTY, job.bytes, detach ? SYNC : EMPTY];
    const bytes = reparse || detach ? Buffer.concat(parts) : job.bytes;
    let out = await this.pglite.execProtocolRaw(bytes);
    if (reparse && startsWith(out, PARSE_COMPLETE)) out = out.subarray(PARSE_COMPLETE.length);
    if (detach && out.length >= 6 && out[out.length - 6] === READY_FOR_QUERY) out = out.subarray(0, -6);
    if (shape.unnamedParse) conn.unnamedParse = shape.unnamedParse;
    for (const name of shape.namedParses) conn.statements.add(name);
    if (shape.unnamed === 'parsed' || reparse) this.unnamedBy = conn;
    else if (shape.unnamed === 'destroyed') this.unnamedBy = undefined;
    return { out, complete: job.complete || detach };
  }
}

function startsWith(out: Uint8Array, prefix: Buffer): boolean {
  return out.length >= prefix.length && prefix.every((b, i) => out[i] === b);
}

interface JobShape {
  /** Only Parse, Describe and Flush: nothing executes. */
  onlyParseDescribe: boolean;
  /** The first message binds the unnamed statement (the second half of a Flush round trip). */
  bindsUnnamedFirst: boolean;
  /** The job's last Parse of the unnamed statement, to repeat before a later Bind. */
  unnamedParse: Buffer | undefined;
  /** What the job leaves the backend's unnamed statement as. */
  unnamed: 'parsed' | 'destroyed' | 'unchanged';
  /** The named statements it prepares. */
  namedParses: string[];
}

/** A message's first NUL-terminated string (Parse: the statement; Bind: the portal) ends where? */
function cstringEnd(buf: Buffer, from: number): number {
  const end = buf.indexOf(0, from);
  return end < 0 ? buf.length : end;
}

function inspect(bytes: Buffer): JobShape {
  const shape: JobShape = {
    onlyParseDescribe: true,
    bindsUnnamedFirst: false,
    unnamedParse: undefined,
    unnamed: 'unchanged',
    namedParses: [],
  };
  for (let offset = 0, first = true; offset + 5 <= bytes.length; first = false) {
    const type = bytes[offset]!;
    const end = offset + 1 + bytes.readInt32BE(offset + 1);
    if (type !== PARSE && type !== DESCRIBE && type !== FLUSH) shape.onlyParseDescribe = false;
    if (type === PARSE && bytes[offset + 5] === 0) {
      shape.unnamedParse = bytes.subarray(offset, end);
      shape.unnamed = 'parsed';
    } else if (type === PARSE) {
      shape.namedParses.push(bytes.toString('utf8', offset + 5, cstringEnd(bytes, offset + 5)));
    } else if (type === QUERY) {
      shape.unnamed = 'destroyed'; // a simple Query drops the unnamed statement
    } else if (type === BIND && first) {
      const statementAt = cstringEnd(bytes, offset + 5) + 1;
      shape.bindsUnnamedFirst = bytes[statementAt] === 0;
    }
    offset = end;
  }
  return shape;
}

/** Close (a prepared statement): 'C', length, 'S', the name. */
function closeStatement(name: string): Buffer {
  return frontendMessage('C', `S${name}\0`);
}

function simpleQuery(text: string): Buffer {
  return frontendMessage('Q', `${text}\0`);
}

/** A typed frontend message: its type byte, its length (which counts itself), its body. */
function frontendMessage(type: string, body: string): Buffer {
  const bytes = Buffer.from(body);
  const msg = Buffer.alloc(5 + bytes.length);
  msg.write(type, 0);
  msg.writeInt32BE(4 + bytes.length, 1);
  bytes.copy(msg, 5);
  return msg;
}
