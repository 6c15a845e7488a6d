// Any tool that signs with an HMAC: header, prefix, algorithm, encoding, secret decoding and the
// signed-content template are the endpoint's `sourceConfig.customHmac`.
import type { CustomHmacConfig } from '../../../../lib/sources/config';
import type { SourcePreset, VerifyResult } from './types';
import { checkTimestamp, decodeSignature, digestEqual, header, hmac, mismatch, missing } from './verify-util';

export function hmacKey(secret: string, encoding: CustomHmacConfig['secretEncoding']): Buffer {
  return Buffer.from(secret, encoding);
}

/** The bytes the sender signed: the template with {body} as the exact raw bytes, never re-encoded. */
export function signedContent(
  template: string,
  vars: { body: Buffer; timestamp?: string; id?: string },
): Buffer[] {
  return template
    .split(/(\{body\}|\{timestamp\}|\{id\})/)
    .filter((p) => p !== '')
    .map((p) =>
      p === '{body}'
        ? vars.body
        : Buffer.from(p === '{timestamp}' ? (vars.timestamp ?? '') : p === '{id}' ? (vars.id ?? '') : p),
    );
}

/** Unix seconds (or milliseconds, if that large) or an ISO 8601 date, as unix seconds. */
function timestampSeconds(text: string): number {
  const t = text.trim();
  if (/^\d{1,16}$/.test(t)) return Number(t) > 1e11 ? Number(t) / 1000 : Number(t);
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(t) ? Date.parse(t) : Number.NaN;
  return ms / 1000;
}

export const customHmac: SourcePreset = {
  kind: 'custom-hmac',
  signatureHeaders: [],
  verify({ headers, raw, secret, config, now }): VerifyResult {
    const c = config.customHmac;
    if (!c) return mismatch('endpoint has no custom-hmac settings');
    const sig = header(headers, c.header);
    if (!sig) return missing(`missing ${c.header} header`);
    if (!sig.startsWith(c.prefix)) return mismatch(`${c.header} must start with ${JSON.stringify(c.prefix)}`);
    const ts = c.timestampHeader ? header(headers, c.timestampHeader) : undefined;
    const id = c.idHeader ? header(headers, c.idHeader) : undefined;
    if (c.timestampHeader && ts === undefined) return missing(`missing ${c.timestampHeader} header`);
    if (c.template.includes('{id}') && id === undefined) return missing(`missing ${c.idHeader} header`);
    const expected = hmac(
      c.algorithm,
      hmacKey(secret, c.secretEncoding),
      signedContent(c.template, { body: raw, timestamp: ts, id }),
    );
    if (!digestEqual(expected, decodeSignature(sig.slice(c.prefix.length), c.encoding)))
      return mismatch(`invalid ${c.header}`);
    if (c.timestampHeader && ts !== undefined)
      return checkTimestamp(timestampSeconds(ts), now, c.toleranceSeconds, c.timestampHeader);
    return { ok: true };
  },
  describe({ headers, config }) {
    const c = config.customHmac;
    const ts = c?.timestampHeader ? header(headers, c.timestampHeader) : undefined;
    const seconds = ts === undefined ? Number.NaN : timestampSeconds(ts);
    return {
      externalId: c?.idHeader ? header(headers, c.idHeader) : undefined,
      occurredAt: Number.isFinite(seconds) ? seconds : undefined,
      from: { identifier: 'custom-hmac' },
    };
  },
};
