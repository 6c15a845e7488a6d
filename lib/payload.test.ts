import { describe, expect, it } from 'vitest';
import { samplePayload } from '../test/helpers/webhooks';
import { jsonDepthExceeds, parsePayload } from './payload';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonDepthExceeds', () => {
  it('is exact at the limit, however many brackets the text has', () => {
    expect(jsonDepthExceeds(nested(64), 64)).toBe(false);
    expect(jsonDepthExceeds(nested(65), 64)).toBe(true);
    // Many more openers than the limit, side by side: shallow, so not too deep.
    expect(jsonDepthExceeds(`[${'{},'.repeat(500)}{}]`, 64)).toBe(false);
    expect(jsonDepthExceeds(`{"a":${nested(64)}}`, 64)).toBe(true);
  });

  it('counts no bracket inside a string, escaped quotes included', () => {
    const deepString = JSON.stringify({ s: `\\"${'['.repeat(200)}` });
    expect(jsonDepthExceeds(deepString, 64)).toBe(false);
    expect(jsonDepthExceeds(`["\\"", ${nested(64)}]`, 64)).toBe(true);
  });
});

describe('parsePayload', () => {
  it('decodes each body on its own (one shared decoder): invalid UTF-8 does not spoil the next', () => {
    expect(parsePayload(Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false, code: 'invalid_json' });
    const ok = parsePayload(
      Buffer.from(JSON.stringify({ ...samplePayload(), external_id: 'e-1', body: 'hé' })),
    );
    expect(ok).toMatchObject({ ok: true, payload: { external_id: 'e-1', body: 'hé' } });
  });
});
