// Stripe: Stripe-Signature = "t=<unix>,v1=<hex>[,v1=…]", HMAC-SHA256(secret, "{t}.{body}") with the
// whsec_ secret used as-is as the key; 5 minutes of tolerance (Stripe's own default).
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

export const stripe: SourcePreset = {
  kind: 'stripe',
  signatureHeaders: ['stripe-signature'],
  verify({ headers, raw, secret, now }) {
    const sig = header(headers, 'stripe-signature');
    if (!sig) return missing('missing Stripe-Signature header');
    const pairs = sig.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    });
    const t = pairs.find(([k]) => k === 't')?.[1];
    const v1 = pairs.filter(([k]) => k === 'v1').map(([, v]) => decodeSignature(v, 'hex'));
    if (t === undefined || v1.length === 0) return missing('Stripe-Signature lacks t= or v1=');
    if (!anyDigestEqual(hmac('sha256', secret, [`${t}.`, raw]), v1))
      return mismatch('no v1 signature in Stripe-Signature matches');
    return checkTimestamp(parseUnixSeconds(t), now, DEFAULT_TOLERANCE_SECONDS, 'Stripe-Signature t');
  },
  describe({ body }) {
    const doc = structured(body);
    const account = textAt(doc, '/account');
    const object = textAt(doc, '/data/object/object');
    const objectId = textAt(doc, '/data/object/id');
    return {
      externalId: textAt(doc, '/id'),
      occurredAt: textAt(doc, '/created'),
      event: textAt(doc, '/type'),
      from: { identifier: 'stripe', display_name: 'Stripe' },
      to: account ? [{ identifier: `stripe:${account}` }] : [],
      text: object && objectId ? `${object} ${objectId}` : undefined,
    };
  },
};
