// custom-hmac: every knob (algorithm, encoding, prefix, secret decoding, template, tolerance),
// with signatures computed independently by node:crypto as a sender would.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customHmacSchema } from '../../../../lib/sources/config';
import { customHmac } from './custom-hmac';

const NOW = new Date('2026-06-01T12:00:00Z');
const nowSec = String(Math.floor(NOW.getTime() / 1000));
const body = '{"event":"ticket.created","id":42}';

function check(
  settings: Record<string, unknown>,
  headers: Record<string, string>,
  secret: string,
  raw = body,
  now = NOW,
) {
  const config = { customHmac: customHmacSchema.parse(settings) };
  return customHmac.verify({ headers, raw: Buffer.from(raw), secret, config, now });
}

describe('custom-hmac', () => {
  it.each([
    ['sha1', 'hex'],
    ['sha256', 'hex'],
    ['sha512', 'hex'],
    ['sha1', 'base64'],
    ['sha256', 'base64'],
    ['sha512', 'base64'],
  ] as const)('%s / %s over the raw body', (algorithm, encoding) => {
    const sig = createHmac(algorithm, 's3cret-key').update(body).digest(encoding);
    const settings = { header: 'X-Signature', algorithm, encoding };
    expect(check(settings, { 'x-signature': sig }, 's3cret-key')).toEqual({ ok: true });
    expect(check(settings, { 'x-signature': sig }, 's3cret-key', `${body}\n`)).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(check(settings, { 'x-signature': sig }, 'other-key')).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(check(settings, {}, 's3cret-key')).toMatchObject({ code: 'signature_missing' });
  });

  it('strips the prefix and refuses a signature without it', () => {
    const hex = createHmac('sha256', 'k3y-k3y-k3y').update(body).digest('hex');
    const settings = { header: 'x-sig', prefix: 'sha256=' };
    expect(check(settings, { 'x-sig': `sha256=${hex}` }, 'k3y-k3y-k3y')).toEqual({ ok: true });
    expect(check(settings, { 'x-sig': hex }, 'k3y-k3y-k3y')).toMatchObject({ code: 'signature_mismatch' });
  });

  it('decodes a base64 or hex secret into the key', () => {
    const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const sig = createHmac('sha256', key).update(body).digest('hex');
    expect(check({ header: 'x-sig', secretEncoding: 'hex' }, { 'x-sig': sig }, key.toString('hex'))).toEqual({
      ok: true,
    });
    expect(
      check({ header: 'x-sig', secretEncoding: 'base64' }, { 'x-sig': sig }, key.toString('base64')),
    ).toEqual({ ok: true });
    // The same string used as UTF-8 is another key.
    expect(check({ header: 'x-sig' }, { 'x-sig': sig }, key.toString('hex'))).toMatchObject({
      code: 'signature_mismatch',
    });
  });

  it('signs a template of {id}, {timestamp} and {body}, within the tolerance', () => {
    const settings = {
      header: 'x-sig',
      template: '{id}:{timestamp}:{body}',
      idHeader: 'x-delivery',
      timestampHeader: 'x-timestamp',
      toleranceSeconds: 60,
    };
    const signAt = (ts: string) =>
      createHmac('sha256', 'tmpl-secret').update(`d-1:${ts}:${body}`).digest('hex');
    const h = (ts: string) => ({ 'x-sig': signAt(ts), 'x-delivery': 'd-1', 'x-timestamp': ts });
    expect(check(settings, h(nowSec), 'tmpl-secret')).toEqual({ ok: true });
    expect(check(settings, h(String(Number(nowSec) - 61)), 'tmpl-secret')).toMatchObject({
      code: 'signature_expired',
    });
    expect(check(settings, h(String(Number(nowSec) - 59)), 'tmpl-secret')).toEqual({ ok: true });
    // The id is part of what is signed: another id with the same signature fails.
    expect(check(settings, { ...h(nowSec), 'x-delivery': 'd-2' }, 'tmpl-secret')).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(check(settings, { 'x-sig': signAt(nowSec), 'x-delivery': 'd-1' }, 'tmpl-secret')).toMatchObject({
      code: 'signature_missing',
    });
  });

  it('accepts an ISO 8601 timestamp header', () => {
    const settings = { header: 'x-sig', template: '{timestamp}.{body}', timestampHeader: 'x-ts' };
    const ts = '2026-06-01T11:58:00Z';
    const sig = createHmac('sha256', 'iso-secret').update(`${ts}.${body}`).digest('hex');
    expect(check(settings, { 'x-sig': sig, 'x-ts': ts }, 'iso-secret')).toEqual({ ok: true });
    expect(
      check(settings, { 'x-sig': sig, 'x-ts': ts }, 'iso-secret', body, new Date('2026-06-01T12:10:00Z')),
    ).toMatchObject({
      code: 'signature_expired',
    });
  });

  it('refuses settings that cannot work', () => {
    expect(customHmacSchema.safeParse({ header: 'x-sig', template: '{timestamp}.{body}' }).success).toBe(
      false,
    );
    expect(customHmacSchema.safeParse({ header: 'x-sig', template: '{id}' }).success).toBe(false);
    expect(customHmacSchema.safeParse({ header: 'x-sig', template: '{body}{nonce}' }).success).toBe(false);
    expect(customHmacSchema.safeParse({ header: 'bad header' }).success).toBe(false);
    expect(customHmacSchema.safeParse({ header: 'x-sig', algorithm: 'md5' }).success).toBe(false);
  });
});
