// PostgreSQL `text` and `jsonb` cannot hold every JavaScript string a valid JSON payload can
// carry: U+0000 is refused (22021/22P05) and unpaired surrogates (e.g. "\udfaa") are refused by
// jsonb and silently turned into U+FFFD in text. The raw bytes stay exact elsewhere (WORM, the
// receipt); this module gives the *display and search* copy a lossless form.
//
// Scheme `pua-escape-v1`: a string is left alone unless it contains U+0000, an unpaired surrogate
// or the escape character U+E000 itself. Then each of those code units (and only those) becomes
// U+E000, four lowercase hex digits of the code unit, U+E000. Because the escape character is
// always escaped in the original, the mapping is injective and self-describing: a stored string
// holds U+E000 if and only if it was escaped, so decoding needs no side information and two
// distinct keys of one object can never collide. The closing U+E000 keeps words on either side
// separate tokens for full-text search; lowercase hex keeps `lower()` (participants) a no-op.
import type { Participant } from './schema/messages';

export const ESCAPE_SCHEME = 'pua-escape-v1';
const ESC = '\ue000';
const ESCAPED_G = /\ue000([0-9a-f]{4})\ue000/g;
// In a /u regex a paired surrogate is one code point, so \p{Cs} matches only unpaired ones.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * True if PostgreSQL text can't hold `s` as is (NUL, an unpaired surrogate). For values that are
 * refused rather than escaped: identifiers and keys such as external_id or an endpoint's name.
 */
export function isUnstorable(s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s);
}

/** True if escapeText changes `s`: it is unstorable, or holds the escape character. */
export function needsEscape(s: string): boolean {
  return s.includes(ESC) || isUnstorable(s);
}

const hex4 = (c: number) => c.toString(16).padStart(4, '0');

// Code units that may need escaping (without the u flag a regex sees code units, so a paired
// surrogate is two candidates, told apart below).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point
const CANDIDATE_G = /[\u0000\ue000\ud800-\udfff]/g;

/** The storable form of one string; unchanged unless it holds something PostgreSQL can't. */
export function escapeText(s: string): string {
  if (!needsEscape(s)) return s;
  let out = '';
  let from = 0;
  const candidates = new RegExp(CANDIDATE_G);
  for (let m = candidates.exec(s); m !== null; m = candidates.exec(s)) {
    const i = m.index;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        candidates.lastIndex = i + 2; // a pair: one code point, stored as is
        continue;
      }
    }
    // NUL, the escape character, a high surrogate without its low one, or a low one alone
    // (a low one after its high one was skipped with the pair).
    out += `${s.slice(from, i)}${ESC}${hex4(c)}${ESC}`;
    from = i + 1;
  }
  return out + s.slice(from);
}

/** The inverse of escapeText. */
export function unescapeText(s: string): string {
  if (!s.includes(ESC)) return s;
  return s.replace(ESCAPED_G, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The first `max` code units of a stored string, decoded; a cut-off escape is dropped. */
export function previewText(stored: string, max: number): string {
  let cut = stored.slice(0, max * 6); // an escape is 6 code units for 1
  // Escapes come in ESC…ESC pairs: an odd count means the cut (here or in SQL) split one.
  if ((cut.split(ESC).length - 1) % 2 === 1) cut = cut.slice(0, cut.lastIndexOf(ESC));
  return unescapeText(cut).slice(0, max);
}

/** RFC 6901 JSON Pointer segment. */
const segment = (k: string | number) =>
  typeof k === 'number' || !(k.includes('~') || k.includes('/'))
    ? `/${k}`
    : `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * Escapes every string of a JSON value, object keys included. Pointers (into the payload, with
 * keys in their stored form) of every string or member whose stored form differs are pushed to
 * `escaped`.
 */
export function escapeJson(value: unknown, pointer = '', escaped: string[] = []): unknown {
  if (typeof value === 'string') {
    const stored = escapeText(value);
    if (stored !== value) escaped.push(pointer);
    return stored;
  }
  if (Array.isArray(value)) return value.map((v, i) => escapeJson(v, pointer + segment(i), escaped));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = escapeText(k);
    const at = pointer + segment(key);
    if (key !== k) escaped.push(at);
    out[key] = escapeJson(v, at, escaped);
  }
  return out;
}

/** The inverse of escapeJson. */
export function unescapeJson(value: unknown): unknown {
  if (typeof value === 'string') return unescapeText(value);
  if (Array.isArray(value)) return value.map(unescapeJson);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[unescapeText(k)] = unescapeJson(v);
  return out;
}

/** The producer strings a message row and its attachment rows hold. */
export interface MessageStrings {
  from: Participant;
  to: Participant[];
  body: string;
  extra: Record<string, unknown>;
  attachments: { filename: string; content_type: string; url?: string | undefined }[];
}

export interface StorableMessage extends MessageStrings {
  /** JSON Pointers into the payload of every field stored escaped; empty if none. */
  escapedFields: string[];
  /** ESCAPE_SCHEME when anything was escaped, else null. */
  escapeScheme: string | null;
}

/** Everything persist writes from the payload, in storable form, and which fields that changed. */
export function toStorable(m: MessageStrings): StorableMessage {
  const escapedFields: string[] = [];
  const from = escapeJson(m.from, '/from', escapedFields) as Participant;
  const to = escapeJson(m.to, '/to', escapedFields) as Participant[];
  const body = escapeJson(m.body, '/body', escapedFields) as string;
  // Extra fields are top-level members of the payload: their pointers start at the root.
  const extra = escapeJson(m.extra, '', escapedFields) as Record<string, unknown>;
  const attachments = m.attachments.map((a, i) => {
    const at = `/attachments/${i}`;
    return {
      filename: escapeJson(a.filename, `${at}/filename`, escapedFields) as string,
      content_type: escapeJson(a.content_type, `${at}/content_type`, escapedFields) as string,
      ...(a.url === undefined ? {} : { url: escapeJson(a.url, `${at}/url`, escapedFields) as string }),
    };
  });
  return {
    from,
    to,
    body,
    extra,
    attachments,
    escapedFields,
    escapeScheme: escapedFields.length > 0 ? ESCAPE_SCHEME : null,
  };
}

/** The stored columns of a message decoded back to what the payload said. */
export function fromStorable<T extends { from: unknown; to: unknown; body: string | null; extra: unknown }>(
  row: T,
): T {
  return {
    ...row,
    from: unescapeJson(row.from),
    to: unescapeJson(row.to),
    body: row.body === null ? null : unescapeText(row.body),
    extra: unescapeJson(row.extra),
  };
}

/** An attachment row's producer strings decoded. */
export function attachmentFromStorable<
  T extends { filename: string; contentType: string; url: string | null; error: string | null },
>(row: T): T {
  return {
    ...row,
    filename: unescapeText(row.filename),
    contentType: unescapeText(row.contentType),
    url: row.url === null ? null : unescapeText(row.url),
  };
}
