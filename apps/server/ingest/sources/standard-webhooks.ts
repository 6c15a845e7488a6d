// Standard Webhooks (standardwebhooks.com) and Svix, which is the same scheme with svix-* headers:
// HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed by the base64 after "whsec_", a space-separated
// list of "v1,<base64>" signatures (any one may match), 5 minutes of tolerance.
import { structured, textAt } from './body';
import type { SourcePreset } from './types';
import {
  anyDigestEqual,
  checkTimestamp,
  DEFAULT_TOLERANCE_SECONDS,
  decodeSignature,
  header,
  hmac,
  mismatch,
  missing,
  parseUnixSeconds,
} from './verify-util';

/** The HMAC key of a whsec_ secret; the same decoding the providers' libraries apply. */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

function preset(kind: 'standard-webhooks' | 'svix', prefixes: string[]): SourcePreset {
  const pick = (headers: Parameters<SourcePreset['verify']>[0]['headers'], name: string) => {
    for (const p of prefixes) {
      const v = header(headers, `${p}${name}`);
      if (v !== undefined) return { name: `${p}${name}`, value: v };
    }
    return undefined;
  };
  return {
    kind,
    signatureHeaders: prefixes.map((p) => `${p}signature`),
    verify({ headers, raw, secret, now }) {
      const id = pick(headers, 'id');
      const ts = pick(headers, 'timestamp');
      const sig = pick(headers, 'signature');
      if (!id || !ts || !sig)
        return missing(`missing ${prefixes[0]}id, ${prefixes[0]}timestamp or ${prefixes[0]}signature`);
      const expected = hmac('sha256', standardWebhooksKey(secret), [`${id.value}.${ts.value}.`, raw]);
      const given = sig.value
        .split(' ')
        .filter((s) => s.startsWith('v1,'))
        .map((s) => decodeSignature(s.slice(3), 'base64'));
      if (!anyDigestEqual(expected, given)) return mismatch(`no ${sig.name} entry matches`);
      return checkTimestamp(parseUnixSeconds(ts.value), now, DEFAULT_TOLERANCE_SECONDS, ts.name);
    },
    describe({ headers, body }) {
      // The spec's payload shape is {type, timestamp, data}.
      const doc = structured(body);
      const type = textAt(doc, '/type');
      return {
        externalId: pick(headers, 'id')?.value,
        occurredAt: textAt(doc, '/timestamp') ?? parseUnixSeconds(pick(headers, 'timestamp')?.value),
        event: type,
        from: { identifier: kind },
      };
    },
  };
}

export const standardWebhooks = preset('standard-webhooks', ['webhook-']);
export const svix = preset('svix', ['svix-', 'webhook-']);
