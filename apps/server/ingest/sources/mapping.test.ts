// Declarative mapping (JSON Pointers, headers, literals, defaults), non-JSON bodies, and the
// masking of secret-bearing headers kept as evidence.
import { describe, expect, it } from 'vitest';
import { type Mapping, mappingSchema } from '../../../../lib/sources/config';
import { evidenceHeaders, PRESETS } from '.';
import { resolvePointer } from './body';
import { mapDelivery, toIsoTime } from './mapping';
import { MASKED, maskSecretHeaders } from './mask-headers';

const NOW = new Date('2026-06-01T12:00:00Z');
const run = (
  body: string,
  headers: Record<string, string>,
  mapping?: Mapping,
  kind: keyof typeof PRESETS = 'custom-hmac',
) =>
  mapDelivery(PRESETS[kind], {
    headers,
    raw: Buffer.from(body),
    receivedAt: NOW,
    config: {
      customHmac: {
        header: 'x-sig',
        prefix: '',
        algorithm: 'sha256',
        encoding: 'hex',
        secretEncoding: 'utf8',
        template: '{body}',
        toleranceSeconds: 300,
      },
      ...(mapping ? { mapping } : {}),
    },
  });

describe('JSON Pointer (RFC 6901)', () => {
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'm~n': 8, nested: { k: null } };
  it.each([
    ['', doc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/m~0n', 8],
    ['/nested/k', null],
    ['/foo/2', undefined],
    ['/foo/01', undefined],
    ['/missing/x', undefined],
  ])('%s', (pointer, expected) => {
    expect(resolvePointer(doc, pointer)).toEqual(expected);
  });
  it('does not walk the prototype', () => {
    expect(resolvePointer({}, '/constructor')).toBeUndefined();
  });
});

describe('mapping', () => {
  const body = JSON.stringify({
    data: {
      id: 'T-9',
      at: 1780315200,
      author: 'ann@example.com',
      cc: ['b@example.com', 'c@example.com'],
      title: 'Hi',
    },
  });

  it('maps fields by pointer, header and literal', () => {
    const mapping = mappingSchema.parse({
      externalId: { pointer: '/data/id' },
      occurredAt: { pointer: '/data/at' },
      from: { pointer: '/data/author' },
      to: { pointer: '/data/cc' },
      body: { header: 'x-subject' },
    });
    const r = run(body, { 'content-type': 'application/json', 'x-subject': 'Subject line' }, mapping);
    expect(r).toMatchObject({
      ok: true,
      payload: {
        external_id: 'T-9',
        occurred_at: new Date(1780315200_000).toISOString(),
        from: { identifier: 'ann@example.com' },
        to: [{ identifier: 'b@example.com' }, { identifier: 'c@example.com' }],
        body: 'Subject line',
        source: 'custom-hmac',
        provider: JSON.parse(body),
      },
    });
  });

  it('uses defaults, and says which mapped field is absent', () => {
    const withDefault = run(body, {}, { externalId: { pointer: '/nope', default: 'fallback' } });
    expect(withDefault).toMatchObject({ ok: true, payload: { external_id: 'fallback' } });
    const absent = run(body, {}, { externalId: { pointer: '/nope' }, occurredAt: { value: 'yesterday' } });
    expect(absent).toMatchObject({ ok: false, code: 'validation_failed' });
    if ('reply' in absent || absent.ok || absent.code !== 'validation_failed') throw new Error('unreachable');
    expect(absent.issues.map((i) => i.path).sort()).toEqual(['mapping.externalId', 'mapping.occurredAt']);
  });

  it('without a mapping: content hash as id, received time, body summary', () => {
    const r = run(body, { 'content-type': 'application/json' });
    expect(r).toMatchObject({
      ok: true,
      payload: { occurred_at: NOW.toISOString(), from: { identifier: 'custom-hmac' } },
    });
    if ('reply' in r || !r.ok) throw new Error('unreachable');
    expect(r.payload.external_id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('archives plain text with the text as body, and form fields as provider data', () => {
    const text = run('Server disk at 91%', { 'content-type': 'text/plain' });
    expect(text).toMatchObject({ ok: true, payload: { body: 'Server disk at 91%' } });
    if ('reply' in text || !text.ok) throw new Error('unreachable');
    expect(JSON.parse(text.mapped!.toString())).not.toHaveProperty('provider');
    const form = run(
      'name=disk&level=91&level=92',
      { 'content-type': 'application/x-www-form-urlencoded' },
      {
        externalId: { pointer: '/name' },
      },
    );
    expect(form).toMatchObject({
      ok: true,
      payload: {
        external_id: 'disk',
        body: 'name=disk&level=91&level=92',
        provider: { name: 'disk', level: ['91', '92'] },
      },
    });
  });

  it('refuses broken JSON and non-UTF-8 bytes as invalid_json', () => {
    expect(run('{"a":', { 'content-type': 'application/json' })).toMatchObject({
      ok: false,
      code: 'invalid_json',
    });
    const latin1 = mapDelivery(PRESETS.github, {
      headers: {},
      raw: Buffer.from([0xff, 0xfe, 0x41]),
      receivedAt: NOW,
      config: {},
    });
    expect(latin1).toMatchObject({ ok: false, code: 'invalid_json' });
  });

  it('leaves room for the provider JSON one level down within the depth limit', () => {
    const deep = `${'['.repeat(64)}${']'.repeat(64)}`;
    expect(run(deep, { 'content-type': 'application/json' })).toMatchObject({
      ok: false,
      code: 'invalid_json',
    });
    const fits = `${'['.repeat(63)}${']'.repeat(63)}`;
    expect(run(fits, { 'content-type': 'application/json' })).toMatchObject({ ok: true });
  });

  it('reads times in the forms providers send', () => {
    expect(toIsoTime(1780315200)).toBe('2026-06-01T12:00:00.000Z');
    expect(toIsoTime('1780315200000')).toBe('2026-06-01T12:00:00.000Z');
    expect(toIsoTime('1780315200.000200')).toBe('2026-06-01T12:00:00.000Z');
    expect(toIsoTime('2026-06-01T14:00:00+02:00')).toBe('2026-06-01T12:00:00.000Z');
    expect(toIsoTime('2026-06-01')).toBeUndefined();
    expect(toIsoTime('soon')).toBeUndefined();
  });
});

describe('maskSecretHeaders', () => {
  it('masks credentials, signatures and cookies, keeps the rest', () => {
    const masked = maskSecretHeaders(
      {
        authorization: 'Bearer abc',
        cookie: 'sid=1',
        'x-hub-signature-256': 'sha256=00',
        'stripe-signature': 't=1,v1=00',
        'x-my-sig': 'deadbeef',
        'x-api-key': 'k',
        'x-github-event': 'push',
        'content-type': 'application/json',
        'x-forwarded-for': ['1.2.3.4'],
      },
      ['X-My-Sig'],
    );
    expect(masked).toEqual({
      authorization: MASKED,
      cookie: MASKED,
      'x-hub-signature-256': MASKED,
      'stripe-signature': MASKED,
      'x-my-sig': MASKED,
      'x-api-key': MASKED,
      'x-github-event': 'push',
      'content-type': 'application/json',
      'x-forwarded-for': ['1.2.3.4'],
    });
  });
});

describe('evidenceHeaders', () => {
  it("also masks a custom-hmac endpoint's own signature header", () => {
    const endpoint = {
      source: 'custom-hmac' as const,
      sourceConfig: { customHmac: hmacSettings('x-acme-mac') },
    };
    expect(evidenceHeaders(endpoint, { 'x-acme-mac': 'abc', 'x-acme-event': 'ping' })).toEqual({
      'x-acme-mac': MASKED,
      'x-acme-event': 'ping',
    });
  });
});

function hmacSettings(header: string) {
  return {
    header,
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    template: '{body}',
    toleranceSeconds: 300,
  } as const;
}
