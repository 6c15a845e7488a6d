// SaaS source presets end to end: deliveries signed by each provider's own library (Slack and
// Shopify as their docs show) through real HTTP, Temporal and PostgreSQL, archived under the
// mapped external id; resends are duplicates; tampering, wrong secrets and stale timestamps are 401.
import { createHmac, randomUUID } from 'node:crypto';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { eq } from 'drizzle-orm';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestReceipts } from '../db/schema';
import { type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';
import type { Ack, ErrorBody } from './helpers/webhooks';

let stack: Stack;
let api: ReturnType<typeof adminClient>;
let adminKey: string;
const stripeLib = new Stripe('sk_test_not_used_offline');
const nowSec = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  stack = await startStack();
  ({ adminKey } = await stack.newTenant());
  api = adminClient(stack.baseUrl, adminKey);
});
afterAll(() => stack?.close());

type Headers = Record<string, string>;
const post = (url: string, body: string, headers: Headers) => fetch(url, { method: 'POST', headers, body });

async function ack(res: Response, status: Ack['status']) {
  const json = (await res.json()) as Ack & ErrorBody;
  expect(res.status, JSON.stringify(json)).toBe(200);
  expect(json.status).toBe(status);
  return json;
}

async function refused(res: Response, code: string) {
  const json = (await res.json()) as ErrorBody;
  expect(res.status, JSON.stringify(json)).toBe(401);
  expect(json.error.code).toBe(code);
  expect(JSON.stringify(json)).not.toMatch(/\bat .+:\d+:\d+/);
}

async function archived(messageId: string) {
  await expect
    .poll(async () => (await api.messages.get.query({ id: messageId })).status, { timeout: 30_000 })
    .toBe('archived');
  return api.messages.get.query({ id: messageId });
}

async function rawBytes(messageId: string) {
  const res = await fetch(`${stack.baseUrl}/api/messages/${messageId}/raw`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer()).toString();
}

interface Case {
  source: 'standard-webhooks' | 'svix' | 'github' | 'stripe' | 'slack' | 'shopify';
  /** The tool's own secret, for tools that issue it. */
  toolSecret?: string;
  body: (id: string) => string;
  expectedId: (id: string) => string;
  sign: (body: string, secret: string, id: string, atSec: number) => Promise<Headers> | Headers;
  timestamped: boolean;
}

const cases: Case[] = [
  {
    source: 'standard-webhooks',
    body: () =>
      JSON.stringify({ type: 'user.created', timestamp: new Date().toISOString(), data: { id: 'u1' } }),
    expectedId: (id) => `msg_${id}`,
    sign: (body, secret, id, at) => ({
      'content-type': 'application/json',
      'webhook-id': `msg_${id}`,
      'webhook-timestamp': String(at),
      'webhook-signature': new StandardWebhook(secret).sign(`msg_${id}`, new Date(at * 1000), body),
    }),
    timestamped: true,
  },
  {
    source: 'svix',
    toolSecret: `whsec_${Buffer.from('svix-issued-secret-0123456789').toString('base64')}`,
    body: () => JSON.stringify({ type: 'invoice.paid', data: { amount: 10 } }),
    expectedId: (id) => `msg_${id}`,
    sign: (body, secret, id, at) => ({
      'content-type': 'application/json',
      'svix-id': `msg_${id}`,
      'svix-timestamp': String(at),
      'svix-signature': new SvixWebhook(secret).sign(`msg_${id}`, new Date(at * 1000), body),
    }),
    timestamped: true,
  },
  {
    source: 'github',
    body: () => JSON.stringify({ action: 'opened', issue: { title: 'Bug' }, sender: { login: 'octocat' } }),
    expectedId: (id) => id,
    sign: async (body, secret, id) => ({
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': id,
      'x-hub-signature-256': await githubSign(secret, body),
    }),
    timestamped: false,
  },
  {
    source: 'stripe',
    toolSecret: 'whsec_stripe_dashboard_secret_abc123',
    body: (id) =>
      JSON.stringify({
        id: `evt_${id}`,
        object: 'event',
        created: nowSec(),
        type: 'charge.succeeded',
        data: { object: { id: 'ch_1', object: 'charge' } },
      }),
    expectedId: (id) => `evt_${id}`,
    sign: (body, secret, _id, at) => ({
      'content-type': 'application/json',
      'stripe-signature': stripeLib.webhooks.generateTestHeaderString({
        payload: body,
        secret,
        timestamp: at,
      }),
    }),
    timestamped: true,
  },
  {
    source: 'slack',
    toolSecret: '8f742231b10e8888abcd99yyyzzz85a5',
    body: (id) =>
      JSON.stringify({
        type: 'event_callback',
        event_id: `Ev${id}`,
        event_time: nowSec(),
        event: { type: 'message', text: 'hi', user: 'U1', channel: 'C1' },
      }),
    expectedId: (id) => `Ev${id}`,
    sign: (body, secret, _id, at) => ({
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`,
    }),
    timestamped: true,
  },
  {
    source: 'shopify',
    toolSecret: 'shpss_0123456789abcdef0123456789abcdef',
    body: () => JSON.stringify({ id: 450789469, email: 'bob@example.com', name: '#1001' }),
    expectedId: (id) => id,
    sign: (body, secret, id) => ({
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': id,
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body, 'utf8').digest('base64'),
    }),
    timestamped: false,
  },
];

describe.each(cases)('$source', (c) => {
  let url: string;
  let secret: string;

  beforeAll(async () => {
    const created = await api.endpoints.create.mutate({
      name: `${c.source} endpoint`,
      source: c.source,
      ...(c.toolSecret ? { secret: c.toolSecret } : {}),
    });
    expect(created.endpoint.source).toBe(c.source);
    ({ url } = created.endpoint);
    secret = created.secret;
    if (c.toolSecret) expect(secret).toBe(c.toolSecret);
  });

  it('archives a valid delivery under the mapped id, keeps the raw bytes exact, and dedups a resend', async () => {
    const id = randomUUID();
    const body = c.body(id);
    const headers = await c.sign(body, secret, id, nowSec());
    const first = await ack(await post(url, body, headers), 'accepted');
    expect(first.external_id).toBe(c.expectedId(id));
    const msg = await archived(first.message_id);
    expect(msg.externalId).toBe(c.expectedId(id));
    expect(msg.extra).toMatchObject({ source: c.source, provider: JSON.parse(body) });
    expect(await rawBytes(first.message_id)).toBe(body);
    // The receipt keeps the delivery's headers as evidence, every signature masked.
    const [receipt] = await stack.database.db
      .select({ headers: ingestReceipts.requestHeaders, payload: ingestReceipts.payload })
      .from(ingestReceipts)
      .where(eq(ingestReceipts.id, first.message_id));
    for (const [name, value] of Object.entries(headers)) {
      const secretBearing = /signature|hmac/.test(name);
      expect(receipt?.headers?.[name]).toBe(secretBearing ? '[masked]' : value);
    }
    expect(JSON.stringify(receipt?.headers)).not.toContain(secret);
    expect(JSON.parse(receipt!.payload!.toString('utf8')).external_id).toBe(c.expectedId(id));
    const again = await ack(await post(url, body, headers), 'duplicate');
    expect(again.message_id).toBe(first.message_id);
  });

  it('refuses a tampered body and a wrong secret', async () => {
    const id = randomUUID();
    const body = c.body(id);
    const headers = await c.sign(body, secret, id, nowSec());
    await refused(await post(url, body.replace('}', ',"x":1}'), headers), 'unauthorized');
    const wrong =
      c.toolSecret?.startsWith('whsec_') || c.source === 'standard-webhooks'
        ? `whsec_${Buffer.from('some-other-secret-xyz').toString('base64')}`
        : 'some-other-secret';
    await refused(await post(url, body, await c.sign(body, wrong, id, nowSec())), 'unauthorized');
    await refused(await post(url, body, { 'content-type': 'application/json' }), 'unauthorized');
  });

  // GitHub and Shopify sign no timestamp: their replays are caught by the delivery id instead.
  if (c.timestamped) {
    it('refuses a stale timestamp with signature_expired', async () => {
      const id = randomUUID();
      const body = c.body(id);
      await refused(
        await post(url, body, await c.sign(body, secret, id, nowSec() - 600)),
        'signature_expired',
      );
    });
  }
});

describe('slack handshakes and form bodies', () => {
  const secret = 'slack-signing-secret-for-forms';
  let url: string;
  const slackHeaders = (body: string, contentType: string) => {
    const at = nowSec();
    return {
      'content-type': contentType,
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`,
    };
  };
  beforeAll(async () => {
    ({ url } = (
      await api.endpoints.create.mutate({ name: 'slack forms', source: 'slack', secret })
    ).endpoint);
  });

  it('answers url_verification with the challenge and archives nothing', async () => {
    const before = await api.messages.counts.query({});
    const body = JSON.stringify({
      token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
      challenge: 'ch4llenge-3eZbrw1aBm2rZgRN',
      type: 'url_verification',
    });
    const res = await post(url, body, slackHeaders(body, 'application/json'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'ch4llenge-3eZbrw1aBm2rZgRN' });
    expect(await api.messages.counts.query({})).toEqual(before);
    // An unsigned handshake is refused like any delivery.
    await refused(await post(url, body, { 'content-type': 'application/json' }), 'unauthorized');
  });

  it('archives a form-encoded slash command with the form as text', async () => {
    const trigger = `398738663015.${Date.now()}.803a0bc887a14d10d2c447fce8b6703c`;
    const body = `team_id=T1DC2JH3J&channel_id=G8PSS9T3V&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fweather&text=94070&trigger_id=${trigger}`;
    const first = await ack(
      await post(url, body, slackHeaders(body, 'application/x-www-form-urlencoded')),
      'accepted',
    );
    expect(first.external_id).toBe(trigger);
    const msg = await archived(first.message_id);
    expect(msg.body).toBe('/weather: 94070');
    expect(msg.extra).toMatchObject({ source: 'slack', provider: { command: '/weather', text: '94070' } });
    expect(await rawBytes(first.message_id)).toBe(body);
  });
});

describe('custom-hmac with a mapping', () => {
  it('verifies the configured scheme and maps by JSON Pointer; a missing mapped field is 422', async () => {
    const created = await api.endpoints.create.mutate({
      name: 'alerts',
      source: 'custom-hmac',
      customHmac: {
        header: 'X-Alert-Signature',
        prefix: 'sha512=',
        algorithm: 'sha512',
        encoding: 'base64',
        template: '{timestamp}.{body}',
        timestampHeader: 'X-Alert-Time',
      },
      mapping: {
        externalId: { pointer: '/alert/id' },
        body: { pointer: '/alert/summary', default: '(no summary)' },
        from: { value: 'monitoring' },
      },
    });
    const { url } = created.endpoint;
    const send = (body: string) => {
      const at = String(nowSec());
      const sig = createHmac('sha512', created.secret).update(`${at}.${body}`).digest('base64');
      return post(url, body, {
        'content-type': 'application/json',
        'x-alert-time': at,
        'x-alert-signature': `sha512=${sig}`,
      });
    };
    const id = `A-${randomUUID()}`;
    const first = await ack(await send(JSON.stringify({ alert: { id, summary: 'disk full' } })), 'accepted');
    expect(first.external_id).toBe(id);
    const msg = await archived(first.message_id);
    expect(msg).toMatchObject({ body: 'disk full', from: { identifier: 'monitoring' } });

    const res = await send(JSON.stringify({ alert: { summary: 'no id' } }));
    expect(res.status).toBe(422);
    const err = (await res.json()) as ErrorBody;
    expect(err.error.code).toBe('validation_failed');
    expect(err.issues).toEqual([
      { path: 'mapping.externalId', message: expect.stringContaining('/alert/id') },
    ]);
  });
});

describe('admin API for sources', () => {
  it('requires the tool-issued secret, refuses misplaced options, and rotates to a given secret', async () => {
    expect((await trpcError(api.endpoints.create.mutate({ name: 's', source: 'stripe' }))).data?.code).toBe(
      'BAD_REQUEST',
    );
    expect((await trpcError(api.endpoints.create.mutate({ name: 'c', source: 'comma' }))).message).toMatch(
      /authMode/,
    );
    expect(
      (await trpcError(api.endpoints.create.mutate({ name: 'g', source: 'github', authMode: 'hmac' }))).data
        ?.code,
    ).toBe('BAD_REQUEST');
    expect(
      (await trpcError(api.endpoints.create.mutate({ name: 'h', source: 'custom-hmac' }))).message,
    ).toMatch(/customHmac/);
    expect(
      (await trpcError(api.endpoints.create.mutate({ name: 'v', source: 'svix', secret: 'not-a-whsec!' })))
        .message,
    ).toMatch(/whsec_/);

    const shop = await api.endpoints.create.mutate({
      name: 'shop',
      source: 'shopify',
      secret: 'shpss_first_secret_1234',
    });
    expect((await trpcError(api.endpoints.rotateSecret.mutate({ id: shop.endpoint.id }))).data?.code).toBe(
      'BAD_REQUEST',
    );
    const rotated = await api.endpoints.rotateSecret.mutate({
      id: shop.endpoint.id,
      secret: 'shpss_second_secret_5678',
    });
    expect(rotated.secret).toBe('shpss_second_secret_5678');
    const body = JSON.stringify({ id: 1, name: '#1' });
    const signed = (key: string) => ({
      'content-type': 'application/json',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-hmac-sha256': createHmac('sha256', key).update(body).digest('base64'),
    });
    await refused(await post(shop.endpoint.url, body, signed('shpss_first_secret_1234')), 'unauthorized');
    await ack(await post(shop.endpoint.url, body, signed('shpss_second_secret_5678')), 'accepted');

    // The mapping can be changed later, and removed again; not on a comma endpoint.
    await api.endpoints.update.mutate({
      id: shop.endpoint.id,
      mapping: { externalId: { pointer: '/name' } },
    });
    const viaMapping = await ack(
      await post(shop.endpoint.url, body, signed('shpss_second_secret_5678')),
      'accepted',
    );
    expect(viaMapping.external_id).toBe('#1');
    const cleared = await api.endpoints.update.mutate({ id: shop.endpoint.id, mapping: null });
    expect(cleared.sourceConfig).toEqual({});
    const headers = signed('shpss_second_secret_5678');
    const back = await ack(await post(shop.endpoint.url, body, headers), 'accepted');
    expect(back.external_id).toBe(headers['x-shopify-webhook-id']);

    // A comma endpoint's secret is always generated; another tenant's endpoint is not found.
    const comma = await api.endpoints.create.mutate({ name: 'c', authMode: 'hmac' });
    expect(comma.endpoint.source).toBe('comma');
    expect(
      (await trpcError(api.endpoints.rotateSecret.mutate({ id: comma.endpoint.id, secret: 'chosen-by-me' })))
        .data?.code,
    ).toBe('BAD_REQUEST');
    expect(
      (
        await trpcError(
          api.endpoints.update.mutate({ id: comma.endpoint.id, mapping: { body: { value: 'x' } } }),
        )
      ).data?.code,
    ).toBe('BAD_REQUEST');
    const other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    expect(
      (
        await trpcError(
          other.endpoints.rotateSecret.mutate({ id: shop.endpoint.id, secret: 'shpss_hijack_0000' }),
        )
      ).data?.code,
    ).toBe('NOT_FOUND');
  });
});
