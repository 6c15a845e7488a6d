// fetchToWorm against a real local HTTP(S) server and a real local WORM store. The SSRF cases
// point at that same server (by IP, odd IP spellings, names resolving to it) and prove that no
// connection was made at all; the allowed-host cases prove redirects are re-checked per hop and
// that the socket goes to the address that was checked.
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalWormStore } from '../../worm/local-store';
import { FetchPermanentError, FetchRetryableError, parseRetryAfter } from './errors';
import { type FetchToWormOptions, fetchToWorm } from './fetch-to-worm';
import { classifyAddress, type FetchPolicy, type LookupFn } from './ssrf';

const FILE = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) % 251));
const FILE_SHA = createHash('sha256').update(FILE).digest('hex');
const RETAIN = new Date('2099-01-01T00:00:00Z');
const OPEN: FetchPolicy = { allowPrivateNetworks: true, allowedHosts: [] };
const CLOSED: FetchPolicy = { allowPrivateNetworks: false, allowedHosts: [] };

let server: Server;
let port: number;
let base: string;
let requests: { url: string; host: string | undefined }[] = [];
let connections = 0;
const flaky = new Map<string, number>();

let wormRoot: string;
let worm: LocalWormStore;

function handle(req: IncomingMessage, res: ServerResponse) {
  requests.push({ url: req.url ?? '', host: req.headers.host });
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (path === '/file') {
    res.writeHead(200, {
      'content-type': 'application/pdf',
      'content-length': FILE.length,
      'set-cookie': 'session=secret',
      etag: '"v1"',
    });
    res.end(FILE);
  } else if (path.startsWith('/flaky/')) {
    const seen = flaky.get(path) ?? 0;
    flaky.set(path, seen + 1);
    if (seen < Number(url.searchParams.get('fail'))) {
      res.writeHead(503, { 'retry-after': '1' }).end('busy');
    } else {
      res.writeHead(200, { 'content-length': FILE.length }).end(FILE);
    }
  } else if (path === '/429') {
    res.writeHead(429, { 'retry-after': '3' }).end();
  } else if (path === '/429-date') {
    res.writeHead(429, { 'retry-after': new Date(Date.now() + 10_000).toUTCString() }).end();
  } else if (path === '/408') {
    res.writeHead(408).end();
  } else if (path === '/404') {
    res.writeHead(404).end('no');
  } else if (path === '/403') {
    res.writeHead(403).end('no');
  } else if (path.startsWith('/hop/')) {
    const n = Number(path.slice('/hop/'.length));
    // Relative Location, resolved against the current URL.
    if (n > 0) res.writeHead(302, { location: `${n - 1}` }).end();
    else res.writeHead(200, { 'content-length': FILE.length }).end(FILE);
  } else if (path === '/redirect') {
    res.writeHead(Number(url.searchParams.get('status') ?? 302), {
      location: url.searchParams.get('to') ?? '',
    });
    res.end();
  } else if (path === '/stall-body') {
    res.writeHead(200, { 'content-length': 1_000_000 });
    res.write(FILE.subarray(0, 1000)); // ...and then nothing, ever
  } else if (path === '/stall-headers') {
    // never answers
  } else if (path === '/big-cl') {
    res.writeHead(200, { 'content-length': 5_000_000 });
    res.end(Buffer.alloc(5_000_000, 1));
  } else if (path === '/big-chunked') {
    // No Content-Length: the limit must be enforced while streaming.
    const chunk = Buffer.alloc(64 * 1024, 2);
    let sent = 0;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = () => {
      while (sent < 4_000_000) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => {
      sent = Number.POSITIVE_INFINITY;
    });
    pump();
  } else if (path === '/large') {
    const total = Number(url.searchParams.get('bytes'));
    const chunk = Buffer.alloc(256 * 1024, 3);
    let sent = 0;
    res.writeHead(200, { 'content-length': total });
    const pump = () => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  } else if (path === '/short') {
    // Promises 1000 bytes, sends 10, hangs up.
    res.writeHead(200, { 'content-length': 1000 });
    res.write(FILE.subarray(0, 10), () => res.socket?.destroy());
  } else {
    res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createHttpServer(handle);
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  wormRoot = await mkdtemp(join(tmpdir(), 'fetch-worm-'));
  worm = new LocalWormStore(wormRoot);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(wormRoot, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
  connections = 0;
});
afterEach(() => {
  // Stalled routes leave sockets open on the server side.
  server.closeIdleConnections();
});

function opts(url: string, extra: Partial<FetchToWormOptions> = {}): FetchToWormOptions {
  return {
    url,
    worm,
    key: `att/${randomUUID()}`,
    retainUntil: RETAIN,
    contentType: 'application/octet-stream',
    maxBytes: 1_000_000,
    policy: OPEN,
    timeouts: { connectMs: 2000, headersMs: 2000, bodyIdleMs: 2000 },
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the fetch to fail');
}

async function expectPermanent(p: Promise<unknown>, reason: FetchPermanentError['reason']) {
  const err = await failure(p);
  expect(err).toBeInstanceOf(FetchPermanentError);
  expect((err as FetchPermanentError).reason).toBe(reason);
  return err as FetchPermanentError;
}

async function expectRetryable(p: Promise<unknown>) {
  const err = await failure(p);
  expect(err).toBeInstanceOf(FetchRetryableError);
  return err as FetchRetryableError;
}

async function readAll(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await worm.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function expectNothingStored(key: string) {
  expect(await worm.head(key)).toBeNull();
  await expect(worm.get(key)).rejects.toThrow(/not found/);
  expect(await readdir(join(wormRoot, '.tmp')).catch(() => [])).toEqual([]);
}

const fixedLookup =
  (...addresses: string[]): LookupFn =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('fetchToWorm: functional (allowPrivateNetworks)', () => {
  it('stores a plain file with correct sha, size, bytes and provenance', async () => {
    const progress: number[] = [];
    const o = opts(`${base}/file?x=1#frag`, {
      contentType: 'application/pdf',
      expectedSha256: FILE_SHA.toUpperCase(),
      onProgress: (n) => progress.push(n),
      progressIntervalMs: 0,
    });
    const before = Date.now();
    const r = await fetchToWorm(o);
    expect(r).toMatchObject({ sha256: FILE_SHA, size: FILE.length, key: o.key, created: true });
    expect(await readAll(o.key)).toEqual(FILE);
    expect(await worm.head(o.key)).toMatchObject({ sha256: FILE_SHA, contentType: 'application/pdf' });
    expect(r.provenance).toMatchObject({
      finalUrl: `${base}/file?x=1`,
      status: 200,
      redirects: [],
      remoteAddress: '127.0.0.1',
    });
    expect(r.provenance.headers['content-type']).toBe('application/pdf');
    expect(r.provenance.headers.etag).toBe('"v1"');
    expect(r.provenance.headers).not.toHaveProperty('set-cookie');
    expect(Date.parse(r.provenance.fetchedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(FILE.length);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(requests).toEqual([{ url: '/file?x=1', host: `127.0.0.1:${port}` }]);
  });

  it('a retried fetch of the same bytes is idempotent (created: false)', async () => {
    const o = opts(`${base}/file`);
    expect((await fetchToWorm(o)).created).toBe(true);
    expect(await fetchToWorm(o)).toMatchObject({ created: false, sha256: FILE_SHA, size: FILE.length });
  });

  it('503 N times: each attempt is retryable, then success', async () => {
    const url = `${base}/flaky/${randomUUID()}?fail=2`;
    const o = opts(url);
    for (let i = 0; i < 2; i++) {
      const err = await expectRetryable(fetchToWorm(o));
      expect(err).toMatchObject({ reason: 'http_status', status: 503, retryAfterMs: 1000 });
      await expectNothingStored(o.key);
    }
    expect(await fetchToWorm(o)).toMatchObject({ sha256: FILE_SHA, size: FILE.length });
  });

  it('429 with Retry-After seconds and HTTP-date; 408', async () => {
    expect(await expectRetryable(fetchToWorm(opts(`${base}/429`)))).toMatchObject({
      status: 429,
      retryAfterMs: 3000,
    });
    const dated = await expectRetryable(fetchToWorm(opts(`${base}/429-date`)));
    expect(dated.retryAfterMs).toBeGreaterThanOrEqual(8000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(10_000);
    const e408 = await expectRetryable(fetchToWorm(opts(`${base}/408`)));
    expect(e408.status).toBe(408);
    expect(e408.retryAfterMs).toBeUndefined();
  });

  it('parseRetryAfter', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2015-10-21T07:27:00Z'))).toBe(60_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2016-01-01T00:00:00Z'))).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('404 and 403 are permanent http_4xx', async () => {
    expect((await expectPermanent(fetchToWorm(opts(`${base}/404`)), 'http_4xx')).status).toBe(404);
    expect((await expectPermanent(fetchToWorm(opts(`${base}/403`)), 'http_4xx')).status).toBe(403);
  });

  it('follows 2 and 5 redirect hops (relative Location), refuses a 6th', async () => {
    const two = await fetchToWorm(opts(`${base}/hop/2`));
    expect(two.sha256).toBe(FILE_SHA);
    expect(two.provenance.redirects).toEqual([`${base}/hop/2`, `${base}/hop/1`]);
    expect(two.provenance.finalUrl).toBe(`${base}/hop/0`);

    const five = await fetchToWorm(opts(`${base}/hop/5`));
    expect(five.provenance.redirects).toHaveLength(5);

    requests = [];
    const o = opts(`${base}/hop/6`);
    await expectPermanent(fetchToWorm(o), 'too_many_redirects');
    expect(requests).toHaveLength(6); // the 6th redirect is never followed
    await expectNothingStored(o.key);
  });

  it('a redirect to another scheme or without Location is permanent', async () => {
    await expectPermanent(
      fetchToWorm(opts(`${base}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`)),
      'bad_url',
    );
    await expectPermanent(
      fetchToWorm(opts(`${base}/redirect?to=${encodeURIComponent('ftp://x/')}`)),
      'bad_url',
    );
    await expectPermanent(fetchToWorm(opts(`${base}/redirect`)), 'bad_response');
  });

  it('a stalled body is a retryable timeout, nothing stored', async () => {
    const o = opts(`${base}/stall-body`, { timeouts: { connectMs: 1000, headersMs: 1000, bodyIdleMs: 200 } });
    const started = Date.now();
    const err = await expectRetryable(fetchToWorm(o));
    expect(err.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    await expectNothingStored(o.key);
  });

  it('stalled headers are a retryable timeout', async () => {
    const o = opts(`${base}/stall-headers`, {
      timeouts: { connectMs: 1000, headersMs: 200, bodyIdleMs: 1000 },
    });
    expect((await expectRetryable(fetchToWorm(o))).reason).toBe('timeout');
  });

  it('connection refused and a truncated body are retryable network errors', async () => {
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await expectRetryable(fetchToWorm(opts(`http://127.0.0.1:${deadPort}/file`)))).reason).toBe(
      'network',
    );

    const o = opts(`${base}/short`);
    expect((await expectRetryable(fetchToWorm(o))).reason).toBe('network');
    await expectNothingStored(o.key);
  });

  it('an unreachable address is retryable (connect timeout, or unreachable where the network says so)', async () => {
    const o = opts('http://[2001:db8::1]/file', {
      timeouts: { connectMs: 200, headersMs: 1000, bodyIdleMs: 1000 },
    });
    const started = Date.now();
    const err = await expectRetryable(fetchToWorm(o));
    expect(['timeout', 'network']).toContain(err.reason);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an oversized body is too_large, early from Content-Length or while streaming; nothing stored', async () => {
    const byLength = opts(`${base}/big-cl`, { maxBytes: 1_000_000 });
    await expectPermanent(fetchToWorm(byLength), 'too_large');
    await expectNothingStored(byLength.key);

    const progress: number[] = [];
    const streamed = opts(`${base}/big-chunked`, {
      maxBytes: 1_000_000,
      onProgress: (n) => progress.push(n),
      progressIntervalMs: 0,
    });
    await expectPermanent(fetchToWorm(streamed), 'too_large');
    await expectNothingStored(streamed.key);
    // Cut off at the limit, not after downloading all 4 MB.
    expect(Math.max(...progress)).toBeLessThanOrEqual(1_000_000);
  });

  it('a lying hash is sha256_mismatch, nothing stored', async () => {
    const o = opts(`${base}/file`, { expectedSha256: 'ab'.repeat(32) });
    await expectPermanent(fetchToWorm(o), 'sha256_mismatch');
    await expectNothingStored(o.key);
  });

  it('streams a body much larger than any buffer with bounded memory', async () => {
    const total = 192 * 1024 * 1024;
    let peakExternal = 0;
    let calls = 0;
    const o = opts(`${base}/large?bytes=${total}`, {
      maxBytes: total,
      progressIntervalMs: 0,
      onProgress: () => {
        calls++;
        if (calls % 16 === 0) {
          peakExternal = Math.max(peakExternal, process.memoryUsage().arrayBuffers);
        }
      },
    });
    const baseline = process.memoryUsage().arrayBuffers;
    const r = await fetchToWorm(o);
    expect(r.size).toBe(total);
    expect(calls).toBeGreaterThan(10);
    // Had the body been buffered, at least `total` bytes would have been live at the end.
    expect(peakExternal - baseline).toBeLessThan(total / 3);
    const expected = createHash('sha256');
    const chunk = Buffer.alloc(256 * 1024, 3);
    for (let sent = 0; sent < total; sent += chunk.length) expected.update(chunk);
    expect(r.sha256).toBe(expected.digest('hex'));
  });

  it('an aborted fetch rethrows the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 100);
    const err = await failure(fetchToWorm(opts(`${base}/stall-body`, { signal: controller.signal })));
    expect(err).toBe(reason);
  });
});

describe('fetchToWorm: SSRF (allowPrivateNetworks false)', () => {
  const lookupTo127 = fixedLookup('127.0.0.1');
  const cases: [string, string | (() => string), LookupFn | undefined][] = [
    ['loopback IPv4', () => `http://127.0.0.1:${port}/file`, undefined],
    ['loopback 127.1.2.3', () => `http://127.1.2.3:${port}/file`, undefined],
    ['RFC 1918 10/8', () => `http://10.0.0.1:${port}/file`, undefined],
    ['RFC 1918 172.16/12', 'http://172.16.5.4/', undefined],
    ['RFC 1918 192.168/16', 'http://192.168.1.1/', undefined],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data', undefined],
    ['CGNAT', 'http://100.64.0.1/', undefined],
    ['unspecified 0.0.0.0 (reaches localhost on Linux)', () => `http://0.0.0.0:${port}/file`, undefined],
    ['broadcast', 'http://255.255.255.255/', undefined],
    ['multicast', 'http://224.0.0.1/', undefined],
    ['reserved 240/4', 'http://240.0.0.1/', undefined],
    ['IPv6 loopback', () => `http://[::1]:${port}/file`, undefined],
    ['IPv6 unspecified', () => `http://[::]:${port}/file`, undefined],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port}/file`, undefined],
    ['IPv4-mapped IPv6 metadata', 'http://[::ffff:169.254.169.254]/', undefined],
    ['IPv4-compatible IPv6', () => `http://[::127.0.0.1]:${port}/file`, undefined],
    ['NAT64 embedding loopback', () => `http://[64:ff9b::127.0.0.1]:${port}/file`, undefined],
    ['6to4 embedding 10/8', 'http://[2002:a00:1::1]/', undefined],
    ['IPv6 link-local', 'http://[fe80::1]/', undefined],
    ['IPv6 unique-local', 'http://[fd12:3456::1]/', undefined],
    ['decimal IPv4 2130706433', () => `http://2130706433:${port}/file`, undefined],
    ['hex/short IPv4 0x7f.1', () => `http://0x7f.1:${port}/file`, undefined],
    ['octal IPv4 0177.0.0.1', () => `http://0177.0.0.1:${port}/file`, undefined],
    ['localhost (real DNS)', () => `http://localhost:${port}/file`, undefined],
    ['name resolving to 127.0.0.1', () => `http://evil.test:${port}/file`, lookupTo127],
    [
      'name resolving to one public and one private address',
      () => `http://mixed.test:${port}/file`,
      fixedLookup('93.184.216.34', '127.0.0.1'),
    ],
    [
      'name resolving to IPv4-mapped loopback',
      () => `http://mapped.test:${port}/file`,
      fixedLookup('::ffff:7f00:1'),
    ],
    ['name resolving to garbage', () => `http://weird.test:${port}/file`, fixedLookup('not-an-ip')],
  ];

  it.each(cases)('%s → ssrf_blocked, no connection', async (_name, url, lookup) => {
    const o = opts(typeof url === 'string' ? url : url(), {
      policy: CLOSED,
      ...(lookup ? { lookup } : {}),
      timeouts: { connectMs: 300, headersMs: 300, bodyIdleMs: 300 },
    });
    await expectPermanent(fetchToWorm(o), 'ssrf_blocked');
    expect(connections).toBe(0);
    expect(requests).toEqual([]);
    await expectNothingStored(o.key);
  });

  it.each([
    ['ftp', 'ftp://127.0.0.1/file'],
    ['file', 'file:///etc/passwd'],
    ['javascript', 'javascript:alert(1)'],
    ['credentials', () => `http://user:pass@127.0.0.1:${port}/file`],
    ['username only', 'http://user@example.com/file'],
    ['not a URL', 'not a url'],
    ['relative', '/file'],
  ] as [string, string | (() => string)][])('%s → bad_url, no connection', async (_name, url) => {
    // Even with private networks allowed: only http(s), never credentials.
    await expectPermanent(
      fetchToWorm(opts(typeof url === 'string' ? url : url(), { policy: OPEN })),
      'bad_url',
    );
    await expectPermanent(
      fetchToWorm(opts(typeof url === 'string' ? url : url(), { policy: CLOSED })),
      'bad_url',
    );
    expect(connections).toBe(0);
  });

  it('classifyAddress allows public unicast, including public IPv4 embedded in IPv6', () => {
    for (const ip of ['8.8.8.8', '93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
      expect(classifyAddress(ip), ip).toMatchObject({ allowed: true });
    }
    expect(classifyAddress('10.1.2.3')).toMatchObject({
      allowed: false,
      range: 'private',
      overridable: true,
    });
    expect(classifyAddress('0.0.0.0')).toMatchObject({ allowed: false, overridable: false });
    expect(classifyAddress('::ffff:127.0.0.1')).toMatchObject({
      allowed: false,
      range: 'ipv4Mapped:loopback',
    });
  });
});

describe('fetchToWorm: allowedHosts and redirects', () => {
  const filesLookup = () => {
    const calls: string[] = [];
    const lookup: LookupFn = async (hostname) => {
      calls.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    return { calls, lookup };
  };
  const allowFiles = (): FetchPolicy => ({
    allowPrivateNetworks: false,
    allowedHosts: [`files.test:${port}`],
  });

  it('an allowed host may resolve to a private address; Host header is kept; every hop is re-resolved', async () => {
    const { calls, lookup } = filesLookup();
    const r = await fetchToWorm(opts(`http://files.test:${port}/hop/2`, { policy: allowFiles(), lookup }));
    expect(r.sha256).toBe(FILE_SHA);
    expect(r.provenance.remoteAddress).toBe('127.0.0.1');
    expect(r.provenance.finalUrl).toBe(`http://files.test:${port}/hop/0`);
    expect(requests.map((q) => q.host)).toEqual(Array(3).fill(`files.test:${port}`));
    expect(calls).toEqual(['files.test', 'files.test', 'files.test']);
  });

  it('a bare hostname entry allows any port; a host:port entry only that port', async () => {
    const { lookup } = filesLookup();
    const url = `http://FILES.test:${port}/file`;
    await fetchToWorm(
      opts(url, { policy: { allowPrivateNetworks: false, allowedHosts: ['files.test'] }, lookup }),
    );
    requests = [];
    connections = 0;
    await expectPermanent(
      fetchToWorm(
        opts(url, { policy: { allowPrivateNetworks: false, allowedHosts: ['files.test:1'] }, lookup }),
      ),
      'ssrf_blocked',
    );
    await expectPermanent(
      fetchToWorm(
        opts(url, { policy: { allowPrivateNetworks: false, allowedHosts: ['other.test'] }, lookup }),
      ),
      'ssrf_blocked',
    );
    expect(connections).toBe(0);
  });

  it.each([
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data'],
    ['10/8', () => 'http://10.0.0.1/'],
    ['this very server by IP', () => `http://127.0.0.1:${port}/file`],
    ['this very server by decimal IP', () => `http://2130706433:${port}/file`],
    ['IPv4-mapped loopback', () => `http://[::ffff:127.0.0.1]:${port}/file`],
    ['a name resolving to loopback', () => `http://evil.test:${port}/file`],
  ])('an allowed host redirecting to %s → ssrf_blocked', async (_name, target) => {
    const { lookup } = filesLookup();
    const o = opts(`http://files.test:${port}/redirect?status=307&to=${encodeURIComponent(target())}`, {
      policy: allowFiles(),
      lookup,
      timeouts: { connectMs: 300, headersMs: 300, bodyIdleMs: 300 },
    });
    await expectPermanent(fetchToWorm(o), 'ssrf_blocked');
    expect(requests.map((q) => q.url)).toEqual([expect.stringMatching(/^\/redirect/)]); // only the first hop
    await expectNothingStored(o.key);
  });

  it('DNS rebinding: connects to the address that was checked, never re-resolves', async () => {
    // First answer: the allowed internal server. Any later answer would be the metadata service,
    // or (since `rebind.test` is not in real DNS) an ENOTFOUND if undici resolved it itself.
    let calls = 0;
    const lookup: LookupFn = async () => {
      calls++;
      return [{ address: calls === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    };
    const r = await fetchToWorm(
      opts(`http://rebind.test:${port}/file`, {
        policy: { allowPrivateNetworks: false, allowedHosts: ['rebind.test'] },
        lookup,
      }),
    );
    expect(calls).toBe(1);
    expect(r.provenance.remoteAddress).toBe('127.0.0.1');
    expect(requests).toEqual([{ url: '/file', host: `rebind.test:${port}` }]);
  });
});

describe('fetchToWorm: https keeps SNI and verifies the certificate against the hostname', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let httpsPort: number;
  let sni: (string | false | null)[] = [];
  let close: () => Promise<void>;

  const makeCert = (name: string) => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name}`,
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.crt`),
      ],
      { stdio: 'ignore' },
    );
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fetch-tls-'));
    makeCert('files.test');
    cert = await readFile(join(dir, 'files.test.crt'), 'utf8');
    key = await readFile(join(dir, 'files.test.key'), 'utf8');
    const srv = createHttpsServer({ cert, key }, (req, res) => {
      sni.push((req.socket as TLSSocket).servername);
      res.writeHead(200, { 'content-length': FILE.length }).end(FILE);
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    httpsPort = (srv.address() as AddressInfo).port;
    close = async () => {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    };
  });
  afterAll(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    sni = [];
  });

  const policy = (): FetchPolicy => ({
    allowPrivateNetworks: false,
    allowedHosts: ['files.test', 'other.test'],
  });

  it('fetches https://files.test via the pinned IP with SNI files.test', async () => {
    const r = await fetchToWorm(
      opts(`https://files.test:${httpsPort}/file`, {
        policy: policy(),
        lookup: fixedLookup('127.0.0.1'),
        ca: cert,
      }),
    );
    expect(r.sha256).toBe(FILE_SHA);
    expect(r.provenance.remoteAddress).toBe('127.0.0.1');
    expect(sni).toEqual(['files.test']);
  });

  it('an untrusted or mismatched certificate is a retryable tls error', async () => {
    const untrusted = await expectRetryable(
      fetchToWorm(
        opts(`https://files.test:${httpsPort}/file`, { policy: policy(), lookup: fixedLookup('127.0.0.1') }),
      ),
    );
    expect(untrusted.reason).toBe('tls');
    // other.test is served a files.test certificate: verification is against the URL's hostname.
    const mismatch = await expectRetryable(
      fetchToWorm(
        opts(`https://other.test:${httpsPort}/file`, {
          policy: policy(),
          lookup: fixedLookup('127.0.0.1'),
          ca: cert,
        }),
      ),
    );
    expect(mismatch.reason).toBe('tls');
  });
});
