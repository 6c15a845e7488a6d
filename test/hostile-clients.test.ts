// Clients that write the whole body before they read (python urllib, Java HttpClient, curl
// without 100-continue, Node fetch with a buffer or a stream) must each read our early answer to a
// 10.6 MB body (413, 404, 401) instead of EPIPE/ECONNRESET, run after run.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../lib/payload';
import { rawUpload } from './helpers/raw-upload';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';

const run = promisify(execFile);
const RUNS = 3;
const BIG = Buffer.alloc(MAX_BODY_BYTES + 600_000, 'x');
const clientsDir = path.join(import.meta.dirname, 'clients');

let stack: Stack;
let bigFile: string;
const cases: { name: string; url: string; headers: Record<string, string>; status: number }[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: false });
  const { adminKey } = await stack.newTenant();
  const api = adminClient(stack.baseUrl, adminKey);
  const hmac = await api.endpoints.create.mutate({ name: 'hmac', authMode: 'hmac' });
  const bearer = await api.endpoints.create.mutate({ name: 'bearer', authMode: 'bearer' });
  bigFile = path.join(stack.dir, 'big.json');
  writeFileSync(bigFile, BIG);
  cases.push(
    {
      name: '413 oversized (HMAC)',
      url: hmac.endpoint.url,
      headers: { 'x-comma-signature': 'ab'.repeat(32) },
      status: 413,
    },
    {
      name: '404 unknown token',
      url: `${stack.baseUrl}/webhooks/incoming/in/no-such-token`,
      headers: {},
      status: 404,
    },
    {
      name: '401 wrong bearer secret',
      url: bearer.endpoint.url,
      headers: { authorization: 'Bearer wrong' },
      status: 401,
    },
  );
});
afterAll(() => stack?.close());

const lines = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim());
const repeat = (status: number) => Array.from({ length: RUNS }, () => String(status));

async function fetchStatus(url: string, headers: Record<string, string>, stream: boolean) {
  try {
    const body = stream
      ? new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 0; i < BIG.length; i += 64 * 1024) c.enqueue(BIG.subarray(i, i + 64 * 1024));
            c.close();
          },
        })
      : BIG;
    const res = await fetch(url, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
    const json = (await res.json()) as { error?: { code?: string } };
    return `${res.status}${json.error?.code ? '' : ' (no error code)'}`;
  } catch (err) {
    return `error ${(err as Error).cause ?? err}`;
  }
}

describe.each([0, 1, 2])('early errors to a 10.6 MB body (case %i)', (i) => {
  it('python3 urllib reads the status', async () => {
    const c = cases[i]!;
    const headerArgs = Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`);
    const { stdout } = await run('python3', [
      path.join(clientsDir, 'post.py'),
      c.url,
      bigFile,
      String(RUNS),
      ...headerArgs,
    ]);
    expect(lines(stdout), c.name).toEqual(repeat(c.status));
  });

  it('Java 17 HttpClient reads the status', async () => {
    const c = cases[i]!;
    const headerArgs = Object.entries(c.headers).flat();
    const { stdout } = await run('java', [
      path.join(clientsDir, 'Post.java'),
      c.url,
      bigFile,
      String(RUNS),
      ...headerArgs,
    ]);
    expect(lines(stdout), c.name).toEqual(repeat(c.status));
  });

  it('curl reads the status, with and without Expect: 100-continue', async () => {
    const c = cases[i]!;
    const headerArgs = Object.entries(c.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    for (const expect100 of [true, false]) {
      const got: string[] = [];
      for (let r = 0; r < RUNS; r++) {
        const { stdout } = await run('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--data-binary',
          `@${bigFile}`,
          ...(expect100 ? [] : ['-H', 'Expect:']),
          ...headerArgs,
          c.url,
        ]).catch((err: { stdout?: string; code?: number }) => ({
          stdout: `error ${err.code}: ${err.stdout}`,
        }));
        got.push(stdout.trim());
      }
      expect(got, `${c.name}, expect100=${expect100}`).toEqual(repeat(c.status));
    }
  });

  it('Node fetch reads the status, with a buffer body and with a stream body', async () => {
    const c = cases[i]!;
    for (const stream of [false, true]) {
      const got: string[] = [];
      for (let r = 0; r < RUNS; r++) got.push(await fetchStatus(c.url, c.headers, stream));
      expect(got, `${c.name}, stream=${stream}`).toEqual(repeat(c.status));
    }
  });
});

describe('the default body pace', () => {
  it('cuts a slow-loris body with 408 after the 5 s grace, not the 120 s request timeout', async () => {
    const up = await rawUpload(cases[0]!.url, {
      'content-length': 100_000,
      'x-comma-signature': 'ab'.repeat(32),
    });
    void up.send(
      Array.from({ length: 100 }, () => Buffer.from('x')),
      250,
    );
    const a = await up.answer;
    up.destroy();
    expect(a.status).toBe(408);
    expect(a.answeredAfterMs).toBeGreaterThan(4_900);
    expect(a.answeredAfterMs).toBeLessThan(7_000);
  });
});
