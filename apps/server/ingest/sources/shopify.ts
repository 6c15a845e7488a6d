// Shopify: X-Shopify-Hmac-Sha256 = base64 HMAC-SHA256(app secret, raw body). No signed timestamp;
// replays are caught by X-Shopify-Webhook-Id, the message's id.
import { structured, textAt } from './body';
import type { SourcePreset } from './types';
import { decodeSignature, digestEqual, header, hmac, mismatch, missing } from './verify-util';

export const shopify: SourcePreset = {
  kind: 'shopify',
  signatureHeaders: ['x-shopify-hmac-sha256'],
  verify({ headers, raw, secret }) {
    const sig = header(headers, 'x-shopify-hmac-sha256');
    if (!sig) return missing('missing X-Shopify-Hmac-Sha256 header');
    if (!digestEqual(hmac('sha256', secret, [raw]), decodeSignature(sig, 'base64')))
      return mismatch('invalid X-Shopify-Hmac-Sha256');
    return { ok: true };
  },
  describe({ headers, body }) {
    const doc = structured(body);
    const shop = header(headers, 'x-shopify-shop-domain');
    const email = textAt(doc, '/email') ?? textAt(doc, '/customer/email');
    return {
      externalId: header(headers, 'x-shopify-webhook-id'),
      occurredAt:
        header(headers, 'x-shopify-triggered-at') ?? textAt(doc, '/updated_at') ?? textAt(doc, '/created_at'),
      event: header(headers, 'x-shopify-topic'),
      from: shop ? { identifier: `shopify:${shop}`, display_name: shop } : { identifier: 'shopify' },
      to: email ? [{ identifier: email }] : [],
      text: textAt(doc, '/name') ?? textAt(doc, '/title'),
    };
  },
};
