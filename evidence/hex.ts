// Encodings shared by the evidence modules: hashes travel as lowercase hex in our API and as
// standard base64 in the C2SP text formats.
export const HASH_SIZE = 32;
const HEX_RE = /^[0-9a-f]*$/;

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function fromHex(s: string): Buffer {
  if (s.length % 2 !== 0 || !HEX_RE.test(s)) throw new Error('expected lowercase hex');
  return Buffer.from(s, 'hex');
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (RFC 4648 §4): Node's decoder silently skips bad characters. */
export function fromBase64(s: string): Buffer {
  if (!B64_RE.test(s)) throw new Error('expected standard base64');
  return Buffer.from(s, 'base64');
}
