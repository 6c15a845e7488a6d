// The producer-facing contract, status code by status code, over real HTTP.
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../db/schema';
import { MAX_BODY_BYTES } from '../lib/payload';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, type ErrorBody, postBearer, postHmac, samplePayload, sign } from './helpers/webhooks';

let stack: Stack;
let api: ReturnType<typeof adminClient>;
let bearer: { url: string; secret: string; id: string };
let hmac: { url: string; secret: string; id: string };

beforeAll(async () => {
  stack = await startStack();
  const { adminKey } = await stack.newTenant();
  api = adminClient(stack.baseUrl, adminKey);
  const b = await api.endpoints.create.mutate({ name: 'bearer', authMode: 'bearer' });
  const h = await api.endpoints.create.mutate({ name: 'hmac', authMode: 'hmac' });
  bearer = { url: b.endpoint.url, secret: b.secret, id: b.endpoint.id };
  hmac = { url: h.endpoint.url, secret: h.secret, id: h.endpoint.id };
});
afterAll(() => stack?.close());

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(JSON.stringify(body)).not.toMatch(/\bat .+:\d+:\d+/);
  return body;
}

async function rowCount(externalId: string) {
  return (await stack.database.db.select().from(messages).where(eq(messages.externalId, externalId))).length;
}

describe('accepting messages', () => {
  it('answers 200 accepted with the ids, then archives the message', async () => {
    const p = samplePayload({ ticket: { id: 7, tags: ['a'] } });
    const res = await postBearer(bearer.url, bearer.secret, p);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ack = (await res.json()) as Ack;
    expect(ack).toMatchObject({ status: 'accepted', external_id: p.external_id });
    expect(ack.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ack.workflow_id).toContain(bearer.id);
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 20_000 })
      .toBe('archived');
    const msg = await api.messages.get.query({ id: ack.message_id });
    expect(msg.extra).toEqual({ ticket: { id: 7, tags: ['a'] } });
    expect(msg.from).toEqual(p.from);
  });

  it("verifies the contract's Python HMAC snippet byte for byte", async () => {
    const body = JSON.stringify(samplePayload({ body: 'héllo ✓' }));
    const sig = execFileSync(
      'python3',
      [
        '-c',
        'import hmac, hashlib, sys\nSECRET=sys.argv[1]\nbody=sys.stdin.buffer.read()\nsig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()\nprint(sig)',
        hmac.secret,
      ],
      { input: body, encoding: 'utf8' },
    ).trim();
    expect(sig).toBe(sign(hmac.secret, body));
    const res = await fetch(hmac.url, { method: 'POST', headers: { 'x-comma-signature': sig }, body });
    expect(res.status).toBe(200);
  });

  it('accepts a body of exactly 10 MB', async () => {
    const base = JSON.stringify(samplePayload({ body: '' }));
    const body = base.replace('"body":""', `"body":"${'x'.repeat(MAX_BODY_BYTES - base.length)}"`);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const res = await postHmac(hmac.url, hmac.secret, body);
    expect(res.status).toBe(200);
    const ack = (await res.json()) as Ack;
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 30_000 })
      .toBe('archived');
    const msg = await api.messages.get.query({ id: ack.message_id });
    expect(msg.rawSize).toBe(MAX_BODY_BYTES);
  });

  it('answers every request pipelined on one connection, in order', async () => {
    const url = new URL(hmac.url);
    const bodies = Array.from({ length: 5 }, () => JSON.stringify(samplePayload()));
    const socket = connect(Number(url.port), url.hostname);
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      raw += d;
    });
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      bodies
        .map(
          (b) =>
            `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
            `content-length: ${Buffer.byteLength(b)}\r\nx-comma-signature: ${sign(hmac.secret, b)}\r\n\r\n${b}`,
        )
        .join(''),
    );
    const ids = () =>
      [...raw.matchAll(/"status":"accepted","message_id":"[^"]+","external_id":"([^"]+)"/g)].map((m) => m[1]);
    await expect.poll(() => ids().length, { timeout: 10_000 }).toBe(5);
    socket.destroy();
    // Each answer's status line follows the previous answer's body directly.
    expect(raw.match(/HTTP\/1\.1 \d+/g)).toEqual(Array(5).fill('HTTP/1.1 200'));
    expect(ids()).toEqual(bodies.map((b) => JSON.parse(b).external_id));
  });
});

describe('refusing requests', () => {
  it('404 for an unknown or malformed token', async () => {
    await expectError(
      await postBearer(`${stack.baseUrl}/webhooks/incoming/in/${'A'.repeat(43)}`, 'x', samplePayload()),
      404,
      'endpoint_not_found',
    );
    await expectError(
      await postBearer(`${stack.baseUrl}/webhooks/incoming/in/short`, 'x', samplePayload()),
      404,
      'endpoint_not_found',
    );
  });

  it('405 for a method other than POST', async () => {
    const res = await fetch(bearer.url, { method: 'GET' });
    await expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('401 for a missing, wrong or mis-shaped credential', async () => {
    const p = samplePayload();
    await expectError(
      await fetch(bearer.url, { method: 'POST', body: JSON.stringify(p) }),
      401,
      'unauthorized',
    );
    await expectError(await postBearer(bearer.url, `${bearer.secret}x`, p), 401, 'unauthorized');
    await expectError(await postBearer(bearer.url, hmac.secret, p), 401, 'unauthorized');
    await expectError(
      await fetch(bearer.url, {
        method: 'POST',
        headers: { authorization: `Basic ${bearer.secret}` },
        body: JSON.stringify(p),
      }),
      401,
      'unauthorized',
    );

    const body = JSON.stringify(p);
    const send = (sig: string | undefined) =>
      fetch(hmac.url, {
        method: 'POST',
        headers: sig === undefined ? {} : { 'x-comma-signature': sig },
        body,
      });
    await expectError(await send(undefined), 401, 'unauthorized');
    await expectError(await send(sign('wrong-secret', body)), 401, 'unauthorized');
    await expectError(await send(sign(hmac.secret, `${body} `)), 401, 'unauthorized'); // tampered body
    await expectError(await send(sign(hmac.secret, body).slice(0, 62)), 401, 'unauthorized'); // wrong length
    await expectError(await send(`${sign(hmac.secret, body)}00`), 401, 'unauthorized');
    await expectError(await send('zz'.repeat(32)), 401, 'unauthorized');
    expect(await rowCount(p.external_id)).toBe(0);
  });

  it('400 invalid_json for malformed JSON, non-objects, deep nesting and invalid UTF-8', async () => {
    for (const body of [
      '{"external_id":',
      '[1,2]',
      '"str"',
      'null',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `{"a":${'{"a":'.repeat(200)}1${'}'.repeat(201)}`,
    ]) {
      await expectError(await postHmac(hmac.url, hmac.secret, body), 400, 'invalid_json');
    }
    const bad = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff\xfe":1}
    const res = await fetch(hmac.url, {
      method: 'POST',
      headers: { 'x-comma-signature': sign(hmac.secret, bad) },
      body: bad,
    });
    await expectError(res, 400, 'invalid_json');
  });

  it('422 with issues[] for missing or malformed fields', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ external_id: undefined }, 'external_id'],
      [{ external_id: '' }, 'external_id'],
      [{ external_id: 'x'.repeat(513) }, 'external_id'],
      [{ occurred_at: '2026-05-28 14:30' }, 'occurred_at'],
      [{ occurred_at: '2026-05-28T14:30:00' }, 'occurred_at'],
      [{ from: 'alice' }, 'from'],
      [{ to: [{ display_name: 'no id' }] }, 'to.0.identifier'],
      [{ body: 42 }, 'body'],
      [{ attachments: [{ filename: 'a', content_type: 'text/plain' }] }, 'attachments.0'],
      [
        {
          attachments: [
            { filename: 'a', content_type: 'text/plain', content_base64: 'aGk=', url: 'https://x.example/a' },
          ],
        },
        'attachments.0',
      ],
      [
        {
          attachments: [
            { filename: 'a', content_type: 'text/plain', content_base64: 'aGk=', sha256: '0'.repeat(64) },
          ],
        },
        'attachments.0.sha256',
      ],
      [
        { attachments: [{ filename: 'a', content_type: 'text/plain', url: 'ftp://x.example/a' }] },
        'attachments.0.url',
      ],
    ];
    for (const [override, path] of cases) {
      const p = samplePayload(override);
      const body = await expectError(
        await postBearer(bearer.url, bearer.secret, p),
        422,
        'validation_failed',
      );
      expect(body.issues?.map((i) => i.path)).toContain(path);
      if (typeof p.external_id === 'string') expect(await rowCount(p.external_id)).toBe(0);
    }
  });

  it('413 for 10 MB + 1 byte, by Content-Length and when streamed without one', async () => {
    const body = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    await expectError(await postHmac(hmac.url, hmac.secret, body.toString()), 413, 'payload_too_large');

    // Chunked upload: no Content-Length, so the cap must be enforced while counting.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        hmac.url,
        { method: 'POST', headers: { 'x-comma-signature': '0'.repeat(64) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      let sent = 0;
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = () => {
        while (sent <= MAX_BODY_BYTES) {
          sent += chunk.length;
          if (!req.write(chunk)) return req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('403 endpoint_disabled, and 200 again once re-enabled', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'toggle', authMode: 'bearer' });
    await api.endpoints.update.mutate({ id: endpoint.id, enabled: false });
    await expectError(await postBearer(endpoint.url, secret, samplePayload()), 403, 'endpoint_disabled');
    await api.endpoints.update.mutate({ id: endpoint.id, enabled: true });
    expect((await postBearer(endpoint.url, secret, samplePayload())).status).toBe(200);
  });

  it('403 ip_not_allowed outside the allowlist; 200 inside it', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({
      name: 'ip',
      authMode: 'bearer',
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
    });
    await expectError(await postBearer(endpoint.url, secret, samplePayload()), 403, 'ip_not_allowed');
    // X-Forwarded-For is not trusted without TRUSTED_PROXIES.
    await expectError(
      await postBearer(endpoint.url, secret, samplePayload(), { 'x-forwarded-for': '10.1.2.3' }),
      403,
      'ip_not_allowed',
    );
    await api.endpoints.update.mutate({ id: endpoint.id, ipAllowlist: ['127.0.0.0/8'] });
    expect((await postBearer(endpoint.url, secret, samplePayload())).status).toBe(200);
  });
});
