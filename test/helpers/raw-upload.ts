// An HTTP/1.1 upload over a raw socket whose pace the test controls (chunk by chunk), recording
// when the answer arrived and when the server closed the connection.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from connecting to the answer's first byte. */
  answeredAfterMs: number;
}

export interface RawUpload {
  /** Writes chunks with `gapMs` between them; stops early once the server has answered or closed. */
  send(chunks: Iterable<Buffer>, gapMs: number): Promise<void>;
  /** The whole answer (by its Content-Length), or what came before the server closed. */
  answer: Promise<RawAnswer>;
  /** ms from connecting to the connection's close. */
  closed: Promise<number>;
  destroy(): void;
}

export function rawUpload(url: string, headers: Record<string, string | number>): Promise<RawUpload> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  const started = performance.now();
  let answeredAt = 0;
  let data = '';
  let closed = false;
  const parse = (): RawAnswer | null => {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine = '', ...headerLines] = data.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const body = data.slice(end + 4);
    if (!closed && body.length < Number(headers['content-length'] ?? Number.POSITIVE_INFINITY)) return null;
    return {
      status: Number(statusLine.split(' ')[1] ?? 0),
      headers,
      body,
      answeredAfterMs: answeredAt - started,
    };
  };
  let settle: (a: RawAnswer) => void = () => {};
  const answer = new Promise<RawAnswer>((resolve) => {
    settle = resolve;
  });
  const closedP = new Promise<number>((resolve) => {
    socket.on('data', (d) => {
      answeredAt ||= performance.now();
      data += d.toString('latin1');
      const a = parse();
      if (a) settle(a);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      settle(parse() ?? { status: 0, headers: {}, body: '', answeredAfterMs: Number.NaN });
      resolve(performance.now() - started);
    });
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      const head = [`POST ${u.pathname} HTTP/1.1`, `host: ${u.host}`];
      for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      resolve({
        async send(chunks, gapMs) {
          for (const chunk of chunks) {
            if (closed || answeredAt) return;
            if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
            if (gapMs > 0) await sleep(gapMs);
          }
        },
        answer,
        closed: closedP,
        destroy: () => socket.destroy(),
      });
    });
  });
}

/** `total` bytes of `body` cut into `size`-byte chunks. */
export function* chunksOf(body: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}
