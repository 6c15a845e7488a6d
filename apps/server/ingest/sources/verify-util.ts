// Shared pieces of signature checking: HMAC over exact bytes, constant-time compares of decoded
// digests (never of strings), and timestamp tolerance.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { VerifyResult } from './types';

export const DEFAULT_TOLERANCE_SECONDS = 300;

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined || first === '' ? undefined : first;
}

export function hmac(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  key: string | Buffer,
  parts: (string | Buffer)[],
) {
  const h = createHmac(algorithm, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Decodes a signature as sent; null when it isn't well-formed in that encoding. */
export function decodeSignature(text: string, encoding: 'hex' | 'base64'): Buffer | null {
  const s = text.trim();
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(s) ? Buffer.from(s, 'hex') : null;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) ? Buffer.from(s, 'base64') : null;
}

/** Constant time for equal lengths; a digest of another length is simply wrong. */
export function digestEqual(expected: Buffer, given: Buffer | null): boolean {
  return given !== null && given.length === expected.length && timingSafeEqual(expected, given);
}

/** True if any candidate matches; every candidate is compared, so timing says nothing about which. */
export function anyDigestEqual(expected: Buffer, given: (Buffer | null)[]): boolean {
  let ok = false;
  for (const g of given) ok = digestEqual(expected, g) || ok;
  return ok;
}

export const missing = (message: string): VerifyResult => ({ ok: false, code: 'signature_missing', message });
export const mismatch = (message: string): VerifyResult => ({
  ok: false,
  code: 'signature_mismatch',
  message,
});

/** Unix seconds within tolerance of now, either direction (a clock far ahead is as suspect). */
export function checkTimestamp(
  seconds: number,
  now: Date,
  toleranceSeconds: number,
  what: string,
): VerifyResult {
  if (!Number.isFinite(seconds)) return mismatch(`${what} is not a unix timestamp`);
  if (Math.abs(now.getTime() / 1000 - seconds) > toleranceSeconds) {
    return {
      ok: false,
      code: 'signature_expired',
      message: `${what} is more than ${toleranceSeconds} s from our clock; refusing a possible replay`,
    };
  }
  return { ok: true };
}

export const parseUnixSeconds = (text: string | undefined): number =>
  text !== undefined && /^\d{1,12}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
