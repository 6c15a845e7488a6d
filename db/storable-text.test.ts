// The lossless storage form: pure properties, then a round trip through real PostgreSQL and
// PGlite text/jsonb columns (which refuse or corrupt the unescaped strings).
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../test/helpers/database';
import {
  ESCAPE_SCHEME,
  escapeJson,
  escapeText,
  needsEscape,
  previewText,
  toStorable,
  unescapeJson,
  unescapeText,
} from './storable-text';

const AWKWARD = [
  'nul\u0000inside',
  '\u0000',
  'lone high \ud83d here',
  'lone low \udfaa here',
  'ends high \ud800',
  '\udc00 starts low',
  'reversed pair \ude00\ud83d',
  'escape char \ue000 itself',
  '\ue000' + '0000' + '\ue000', // looks like an escape, is original text
  'mixed \u0000\ud800\ue000\udfff',
];
// String#isWellFormed is ES2024; this is the same test.
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

const UNTOUCHED = ['', 'plain', 'emoji 😀 pair', 'U+FFFF \uffff', 'backslash \\u0000 text', 'ü日本'];

describe('escapeText / unescapeText', () => {
  it('leaves storable strings unchanged', () => {
    for (const s of UNTOUCHED) {
      expect(needsEscape(s)).toBe(false);
      expect(escapeText(s)).toBe(s);
      expect(unescapeText(s)).toBe(s);
    }
  });

  it('round-trips every awkward string, and the stored form is well-formed without NUL', () => {
    for (const s of AWKWARD) {
      const stored = escapeText(s);
      expect(stored, JSON.stringify(s)).not.toBe(s);
      expect(stored).not.toContain('\u0000');
      expect(wellFormed(stored)).toBe(true);
      expect(unescapeText(stored)).toBe(s);
    }
  });

  it('escapes only the offending code units, with a closing marker', () => {
    expect(escapeText('a\u0000b')).toBe('a\ue0000000\ue000b');
    expect(escapeText('x\udfaa')).toBe('x\ue000dfaa\ue000');
    expect(escapeText('\ue000')).toBe('\ue000e000\ue000');
  });

  it('is injective: distinct strings never share a stored form', () => {
    const all = [...AWKWARD, ...UNTOUCHED];
    const stored = all.map(escapeText);
    expect(new Set(stored).size).toBe(all.length);
  });

  it('round-trips random strings of the awkward code units, injectively', () => {
    const units = [0, 0x61, 0xe000, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xffff, 0x30, 0x66];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const byStored = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const s = String.fromCharCode(...Array.from({ length: rand(10) }, () => units[rand(units.length)]!));
      const stored = escapeText(s);
      expect(unescapeText(stored)).toBe(s);
      expect(stored.includes('\u0000') || !wellFormed(stored)).toBe(false);
      expect(stored === s).toBe(!needsEscape(s));
      const seen = byStored.get(stored);
      if (seen !== undefined) expect(seen).toBe(s);
      byStored.set(stored, s);
    }
  });

  it('previews never split an escape', () => {
    const stored = escapeText(`${'a'.repeat(198)}\u0000tail`);
    // A cut inside the escape (as SQL left(body, 200) makes) drops it rather than show half.
    expect(previewText(stored.slice(0, 200), 200)).toBe('a'.repeat(198));
    expect(previewText(stored, 200)).toBe(`${'a'.repeat(198)}\u0000t`);
    expect(previewText(escapeText('x\u0000'), 200)).toBe('x\u0000');
  });
});

describe('escapeJson / toStorable', () => {
  it('escapes keys and values at any depth and lists their JSON Pointers', () => {
    const escaped: string[] = [];
    const value = { 'k\u0000': 1, ok: ['fine', 'n\u0000'], 'a/b~': { deep: '\udfaa' } };
    const stored = escapeJson(value, '', escaped);
    expect(wellFormed(JSON.stringify(stored))).toBe(true);
    expect(JSON.stringify(stored)).not.toContain('\\u0000');
    expect(escaped).toEqual(['/k\ue0000000\ue000', '/ok/1', '/a~1b~0/deep']);
    expect(unescapeJson(stored)).toEqual(value);
  });

  it('keeps two keys apart that would collide under a naive escape', () => {
    const value = { 'a\u0000': 1, 'a\ue0000000\ue000': 2 };
    const stored = escapeJson(value) as Record<string, number>;
    expect(Object.keys(stored)).toHaveLength(2);
    expect(unescapeJson(stored)).toEqual(value);
  });

  it('covers every producer string persist writes, and names the scheme only when used', () => {
    const clean = toStorable({
      from: { identifier: 'a@x' },
      to: [{ identifier: 'b@x' }],
      body: 'hi',
      extra: { t: 1 },
      attachments: [{ filename: 'f', content_type: 'text/plain' }],
    });
    expect(clean.escapedFields).toEqual([]);
    expect(clean.escapeScheme).toBeNull();

    const s = toStorable({
      from: { identifier: 'a\u0000@x', display_name: 'A\udfaa' },
      to: [{ identifier: 'b@x' }, { identifier: 'c@x', display_name: '\ud800' }],
      body: 'b\u0000',
      extra: { 'k\u0000': { v: '\u0000' } },
      attachments: [{ filename: 'f\u0000.txt', content_type: 'text/plain', url: 'https://e.com/\udfaa' }],
    });
    expect(s.escapeScheme).toBe(ESCAPE_SCHEME);
    expect(s.escapedFields).toEqual([
      '/from/identifier',
      '/from/display_name',
      '/to/1/display_name',
      '/body',
      '/k\ue0000000\ue000',
      '/k\ue0000000\ue000/v',
      '/attachments/0/filename',
      '/attachments/0/url',
    ]);
    expect(s.attachments[0]!.filename).toBe(escapeText('f\u0000.txt'));
  });
});

// What the database does with the stored form: it must accept it and give it back unchanged.
const samples = [...AWKWARD, ...UNTOUCHED];

async function roundTrip(query: (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>) {
  for (const s of samples) {
    const stored = escapeText(s);
    const json = JSON.stringify(escapeJson({ [s]: s }));
    const [row] = await query('select $1::text as t, $2::text::jsonb as j', [stored, json]);
    expect(unescapeText(row!.t as string)).toBe(s);
    expect(unescapeJson(typeof row!.j === 'string' ? JSON.parse(row!.j) : row!.j)).toEqual({ [s]: s });
  }
}

describe('in the database', () => {
  let sql: ReturnType<typeof postgres>;
  let lite: PGlite;
  beforeAll(async () => {
    sql = postgres(await testDatabaseUrl(), { max: 1 });
    lite = new PGlite();
  });
  afterAll(async () => {
    await sql?.end();
    await lite?.close();
  });

  it('PostgreSQL refuses the unescaped strings, and keeps the stored form exactly', async () => {
    await expect(sql.unsafe('select $1::text', ['a\u0000b'])).rejects.toMatchObject({ code: '22021' });
    await expect(sql.unsafe('select $1::text::jsonb', ['"a\\u0000b"'])).rejects.toMatchObject({
      code: '22P05',
    });
    await expect(sql.unsafe('select $1::text::jsonb', ['"\\udfaa"'])).rejects.toMatchObject({
      code: '22P02',
    });
    await roundTrip((text, params) => sql.unsafe(text, params as never[]));
  });

  it('PGlite keeps the stored form exactly', async () => {
    await roundTrip(async (text, params) => (await lite.query<Record<string, unknown>>(text, params)).rows);
  });
});
