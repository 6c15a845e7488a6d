// The limiter behind a real HTTP server, wired the way the ingest handler will use it: a client
// that hangs up while queued leaves the queue; a refusal is a 429 with Retry-After.
import { Agent, createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, disconnectSignal, isAbortError, type RateLimiter } from './index';

let server: Server | undefined;
let limiter: RateLimiter | undefined;
let arrivals = 0;
let serverSockets: Socket[] = [];
afterEach(async () => {
  await limiter?.close();
  server?.closeAllConnections(); // fetch keeps connections alive
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function serve(maxWaitMs: number): Promise<string> {
  const rl = createRateLimiter({ log: { warn() {} }, maxWaitMs });
  limiter = rl;
  arrivals = 0;
  serverSockets = [];
  server = createServer(async (req, res) => {
    arrivals++;
    serverSockets.push(req.socket);
    try {
      const r = await rl.acquire('ep', { ratePerSecond: 2, burst: 1 }, disconnectSignal(res));
      if (!r.ok) {
        res.writeHead(429, { 'retry-after': String(r.retryAfterSeconds) }).end();
        return;
      }
      res.end(`waited ${Math.round(r.waitedMs)}`);
    } catch (err) {
      if (!isAbortError(err)) throw err; // the client is gone: nobody to answer
    }
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`;
}

describe('disconnectSignal + acquire in an HTTP handler', () => {
  it('a client that hangs up while queued leaves the queue', async () => {
    const url = await serve(2000);
    expect((await fetch(url)).status).toBe(200);
    const hangUp = new AbortController();
    const gone = fetch(url, { signal: hangUp.signal }).catch((err) => err);
    while (arrivals < 2) await sleep(5); // queued now: its token is due ~500 ms after the first
    await sleep(20);
    hangUp.abort();
    expect(isAbortError(await gone)).toBe(true);
    await sleep(20);
    expect(await limiter!.getCounters('ep')).toEqual({ admitted: 1, queued: 0, rejected: 0, aborted: 1 });
    // A response that completes normally does not count as a disconnect.
    const next = await fetch(url);
    expect(next.status).toBe(200);
    expect(await limiter!.getCounters('ep')).toMatchObject({ admitted: 2, aborted: 1 });
  });

  it('one kept-alive connection: answered requests abort nothing, a queued one leaves when it closes', async () => {
    const url = await serve(2000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let clientSocket: Socket | undefined;
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('socket', (socket) => {
          clientSocket = socket;
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get()).toBe(200); // the bucket's one token
    const queued = get().catch((err) => err);
    while (arrivals < 2) await sleep(5); // queued behind the refill
    expect(serverSockets[1]).toBe(serverSockets[0]); // on the same connection
    await sleep(20);
    expect(await limiter!.getCounters('ep')).toEqual({ admitted: 1, queued: 0, rejected: 0, aborted: 0 });
    clientSocket!.destroy();
    expect(await queued).toBeInstanceOf(Error);
    await sleep(20);
    expect(await limiter!.getCounters('ep')).toEqual({ admitted: 1, queued: 0, rejected: 0, aborted: 1 });
    agent.destroy();
  });

  it('pipelined requests queued on one connection all leave when it closes, without a leak warning', async () => {
    const url = new URL(await serve(60_000));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const socket = connect(Number(url.port), url.hostname);
      await new Promise((r) => socket.once('connect', r));
      socket.on('error', () => {});
      socket.write(`GET / HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`.repeat(12));
      while (arrivals < 12) await sleep(5); // one admitted, eleven queued on the one connection
      socket.destroy();
      await sleep(50);
      expect(await limiter!.getCounters('ep')).toEqual({ admitted: 1, queued: 0, rejected: 0, aborted: 11 });
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('beyond the queue bound: 429 with an integer Retry-After', async () => {
    const url = await serve(0);
    expect((await fetch(url)).status).toBe(200);
    const res = await fetch(url);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});
