// RFC 8785 JSON Canonicalization Scheme. Receipts are signed over these bytes, so an outsider
// re-serialising the receipt with any JCS library gets the exact bytes we signed.
// Differs from lib/canonical-json.ts: non-finite numbers, lone surrogates and non-JSON values
// are refused (JCS has no encoding for them) instead of silently becoming null or escapes.

export class JcsError extends Error {
  override name = 'JcsError';
}

export function jcs(value: unknown): string {
  return serialise(value, '$');
}

export function jcsBytes(value: unknown): Buffer {
  return Buffer.from(jcs(value), 'utf8');
}

function serialise(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // ECMAScript Number::toString is exactly the number format RFC 8785 §3.2.2.3 prescribes
      // (JSON.stringify also maps -0 to 0).
      if (!Number.isFinite(value)) throw new JcsError(`${path}: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'string':
      return serialiseString(value, path);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => serialise(v, `${path}[${i}]`)).join(',')}]`;
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
        throw new JcsError(`${path}: only plain objects can be canonicalised`);
      const record = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, which is what §3.2.3 specifies.
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${serialiseString(k, path)}:${serialise(record[k], `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new JcsError(`${path}: ${typeof value} has no JSON form`);
  }
}

// Lone surrogates cannot be encoded in UTF-8, so I-JSON (and therefore JCS) forbids them.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** One string in RFC 8785 form (quoted, escaped); refuses a lone surrogate. */
export function serialiseString(s: string, path: string): string {
  // Printable ASCII without quote or backslash (ids, hashes, timestamps) needs no escaping at all.
  if (PLAIN.test(s)) return `"${s}"`;
  // The cheap test first: almost every string has no surrogate at all.
  if (ANY_SURROGATE.test(s) && LONE_SURROGATE.test(s))
    throw new JcsError(`${path}: string holds a lone surrogate`);
  // JSON.stringify escapes exactly \b \t \n \f \r " \\ and other C0 controls as \u00xx
  // (lowercase hex), and nothing else: §3.2.2.2's rules.
  return JSON.stringify(s);
}
