// Each preset's verify and map, with signatures made by the provider's own library (or, for Slack
// and Shopify, computed the way their documentation shows).
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import type { SourceConfig } from '../../../../lib/sources/config';
import { PRESETS } from '.';
import { mapDelivery } from './mapping';
import { generateSecret, secretProblem } from './secrets';

const NOW = new Date('2026-06-01T12:00:00Z');
const nowSec = Math.floor(NOW.getTime() / 1000);
const lower = (h: Record<string, string>): IncomingHttpHeaders =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

function verify(
  kind: keyof typeof PRESETS,
  headers: Record<string, string>,
  body: string,
  secret: string,
  config: SourceConfig = {},
  now = NOW,
) {
  return PRESETS[kind].verify({ headers: lower(headers), raw: Buffer.from(body), secret, config, now });
}

function map(
  kind: keyof typeof PRESETS,
  headers: Record<string, string>,
  body: string,
  config: SourceConfig = {},
) {
  const r = mapDelivery(PRESETS[kind], {
    headers: lower(headers),
    raw: Buffer.from(body),
    receivedAt: NOW,
    config,
  });
  if ('reply' in r || !r.ok) throw new Error(`expected a mapped message, got ${JSON.stringify(r)}`);
  return { ...r, message: JSON.parse(r.mapped!.toString()) as Record<string, unknown> };
}

describe.each([
  ['standard-webhooks', StandardWebhook, 'webhook'],
  ['svix', SvixWebhook, 'svix'],
] as const)('%s', (kind, Lib, prefix) => {
  const secret = generateSecret(kind);
  const body = JSON.stringify({
    type: 'invoice.paid',
    timestamp: '2026-06-01T11:59:00Z',
    data: { id: 'inv_1' },
  });
  const signed = (payload: string, at = NOW, id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W') => ({
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
    [`${prefix}-signature`]: new Lib(secret).sign(id, at, payload),
  });

  it('accepts the library signature, also among several', () => {
    expect(verify(kind, signed(body), body, secret)).toEqual({ ok: true });
    const h = signed(body);
    h[`${prefix}-signature`] =
      `v1,${Buffer.alloc(32).toString('base64')} v1a,xyz ${h[`${prefix}-signature`]}`;
    expect(verify(kind, h, body, secret)).toEqual({ ok: true });
  });
  it('refuses a tampered body, a wrong secret, a stale or missing timestamp', () => {
    expect(verify(kind, signed(body), `${body} `, secret)).toMatchObject({
      ok: false,
      code: 'signature_mismatch',
    });
    expect(verify(kind, signed(body), body, generateSecret(kind))).toMatchObject({
      ok: false,
      code: 'signature_mismatch',
    });
    const stale = new Date(NOW.getTime() - 301_000);
    expect(verify(kind, signed(body, stale), body, secret)).toMatchObject({
      ok: false,
      code: 'signature_expired',
    });
    const future = new Date(NOW.getTime() + 301_000);
    expect(verify(kind, signed(body, future), body, secret)).toMatchObject({
      ok: false,
      code: 'signature_expired',
    });
    const h = signed(body);
    delete h[`${prefix}-timestamp`];
    expect(verify(kind, h, body, secret)).toMatchObject({ ok: false, code: 'signature_missing' });
  });
  it('maps id, timestamp and type', () => {
    const { payload, message } = map(kind, signed(body), body);
    expect(payload.external_id).toBe('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(payload.occurred_at).toBe('2026-06-01T11:59:00.000Z');
    expect(payload.body).toBe('invoice.paid');
    expect(message).toMatchObject({ source: kind, event: 'invoice.paid', provider: JSON.parse(body) });
  });
});

describe('github', () => {
  const secret = generateSecret('github');
  const body = JSON.stringify({
    action: 'opened',
    issue: { number: 1, title: 'Found a bug' },
    repository: { full_name: 'octo-org/hello' },
    sender: { login: 'octocat' },
  });
  const headers = async (payload: string, key = secret) => ({
    'X-Hub-Signature-256': await githubSign(key, payload),
    'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'X-GitHub-Event': 'issues',
  });

  it('accepts @octokit/webhooks-methods signatures and refuses others', async () => {
    expect(verify('github', await headers(body), body, secret)).toEqual({ ok: true });
    expect(verify('github', await headers(body), body.replace('bug', 'bag'), secret)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('github', await headers(body, 'other-secret'), body, secret)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('github', { 'X-GitHub-Event': 'push' }, body, secret)).toMatchObject({
      code: 'signature_missing',
    });
    // A legacy SHA-1 header alone is not enough.
    expect(verify('github', { 'X-Hub-Signature': 'sha1=00' }, body, secret)).toMatchObject({
      code: 'signature_missing',
    });
  });
  it('maps the delivery id, event, sender, repository and title', async () => {
    const { payload, message } = map('github', await headers(body), body);
    expect(payload).toMatchObject({
      external_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      occurred_at: NOW.toISOString(),
      from: { identifier: 'github:octocat', display_name: 'octocat' },
      to: [{ identifier: 'github:octo-org/hello', display_name: 'octo-org/hello' }],
      body: 'issues.opened: Found a bug',
    });
    expect(message.provider).toEqual(JSON.parse(body));
  });
});

describe('stripe', () => {
  const stripeLib = new Stripe('sk_test_not_used_offline');
  const secret = 'whsec_test_secret_from_the_dashboard';
  const body = JSON.stringify({
    id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
    object: 'event',
    created: 1780315200,
    type: 'payment_intent.succeeded',
    data: { object: { id: 'pi_123', object: 'payment_intent' } },
  });
  const header = (payload: string, timestamp = nowSec, key = secret) => ({
    'Stripe-Signature': stripeLib.webhooks.generateTestHeaderString({ payload, secret: key, timestamp }),
  });

  it('accepts generateTestHeaderString, also with several v1 entries', () => {
    expect(verify('stripe', header(body), body, secret)).toEqual({ ok: true });
    const h = header(body)['Stripe-Signature'];
    expect(verify('stripe', { 'Stripe-Signature': `${h},v1=${'0'.repeat(64)}` }, body, secret)).toEqual({
      ok: true,
    });
  });
  it('refuses tampered, wrong-secret and stale deliveries', () => {
    expect(verify('stripe', header(body), body.replace('123', '124'), secret)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('stripe', header(body, nowSec, 'whsec_other'), body, secret)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('stripe', header(body, nowSec - 301), body, secret)).toMatchObject({
      code: 'signature_expired',
    });
    expect(verify('stripe', { 'Stripe-Signature': `t=${nowSec}` }, body, secret)).toMatchObject({
      code: 'signature_missing',
    });
  });
  it('maps id, created and type', () => {
    const { payload } = map('stripe', header(body), body);
    expect(payload).toMatchObject({
      external_id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
      occurred_at: new Date(1780315200_000).toISOString(),
      from: { identifier: 'stripe' },
      body: 'payment_intent.succeeded: payment_intent pi_123',
    });
  });
});

describe('slack', () => {
  // The worked example of https://api.slack.com/authentication/verifying-requests-from-slack
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const ts = '1531420618';
  const docBody =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const docSignature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const docNow = new Date((Number(ts) + 10) * 1000);
  const slackSign = (body: string, t: string, key = secret) =>
    `v0=${createHmac('sha256', key).update(`v0:${t}:${body}`).digest('hex')}`;

  it("verifies the documentation's example, computed as the docs show", () => {
    expect(slackSign(docBody, ts)).toBe(docSignature);
    const h = { 'X-Slack-Signature': docSignature, 'X-Slack-Request-Timestamp': ts };
    expect(verify('slack', h, docBody, secret, {}, docNow)).toEqual({ ok: true });
    expect(verify('slack', h, docBody.replace('roadrunner', 'coyote'), secret, {}, docNow)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('slack', h, docBody, 'another-secret', {}, docNow)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('slack', h, docBody, secret, {}, new Date((Number(ts) + 301) * 1000))).toMatchObject({
      code: 'signature_expired',
    });
  });
  it('maps a form-encoded slash command with the text of the form', () => {
    const { payload, message } = map(
      'slack',
      { 'content-type': 'application/x-www-form-urlencoded' },
      docBody,
    );
    expect(payload.external_id).toBe('398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c');
    expect(payload.from).toEqual({ identifier: 'slack:U2CERLKJA', display_name: 'roadrunner' });
    expect(payload.to).toEqual([{ identifier: 'slack:G8PSS9T3V' }]);
    expect(payload.body).toBe('/webhook-collect');
    expect(message.provider).toMatchObject({ command: '/webhook-collect', team_domain: 'testteamnow' });
  });
  it('answers url_verification instead of archiving it', () => {
    const body = JSON.stringify({
      token: 'x',
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    const r = mapDelivery(PRESETS.slack, {
      headers: { 'content-type': 'application/json' },
      raw: Buffer.from(body),
      receivedAt: NOW,
      config: {},
    });
    expect(r).toEqual({ reply: { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' } });
  });
  it('maps an Events API callback', () => {
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      event_id: 'Ev08MFMKH6',
      event_time: 1780315100,
      event: { type: 'message', user: 'U1', channel: 'C1', text: 'hello there', ts: '1780315100.000200' },
    });
    const { payload } = map('slack', { 'content-type': 'application/json' }, body);
    expect(payload).toMatchObject({
      external_id: 'Ev08MFMKH6',
      occurred_at: new Date(1780315100_000).toISOString(),
      from: { identifier: 'slack:U1' },
      to: [{ identifier: 'slack:C1' }],
      body: 'message: hello there',
    });
  });
});

describe('shopify', () => {
  const secret = 'shpss_0123456789abcdef0123456789abcdef';
  const body = JSON.stringify({
    id: 820982911946154500,
    email: 'jon@example.com',
    name: '#9999',
    updated_at: '2026-06-01T07:58:00-04:00',
  });
  // As Shopify's docs show: base64 of HMAC-SHA256(client secret, raw body).
  const shopifySign = (payload: string, key = secret) =>
    createHmac('sha256', key).update(payload, 'utf8').digest('base64');
  const headers = (payload: string, key = secret) => ({
    'X-Shopify-Hmac-Sha256': shopifySign(payload, key),
    'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'X-Shopify-Topic': 'orders/create',
    'X-Shopify-Shop-Domain': 'example.myshopify.com',
  });

  it('verifies the documented HMAC and refuses others', () => {
    expect(verify('shopify', headers(body), body, secret)).toEqual({ ok: true });
    expect(verify('shopify', headers(body), body.replace('9999', '9998'), secret)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('shopify', headers(body, 'shpss_other'), body, secret)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(verify('shopify', {}, body, secret)).toMatchObject({ code: 'signature_missing' });
  });
  it('maps webhook id, topic, shop and customer', () => {
    const { payload } = map('shopify', headers(body), body);
    expect(payload).toMatchObject({
      external_id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      occurred_at: '2026-06-01T11:58:00.000Z',
      from: { identifier: 'shopify:example.myshopify.com' },
      to: [{ identifier: 'jon@example.com' }],
      body: 'orders/create: #9999',
    });
  });
});

describe('secrets', () => {
  it('generates Standard Webhooks secrets their libraries accept, and checks given ones', () => {
    const s = generateSecret('standard-webhooks');
    expect(() => new StandardWebhook(s)).not.toThrow();
    expect(secretProblem('svix', s)).toBeNull();
    expect(secretProblem('svix', 'whsec_not base64!')).toMatch(/base64/);
    expect(secretProblem('comma', 'anything-at-all')).toMatch(/generated/);
    expect(secretProblem('stripe', 'whsec_abc12345')).toBeNull();
  });
});
