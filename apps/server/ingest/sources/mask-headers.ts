// Request headers as evidence: everything kept, except the values that would let a reader forge
// or replay a delivery (credentials, signatures, cookies), which are masked.
import type { IncomingHttpHeaders } from 'node:http';

export const MASKED = '[masked]';

const ALWAYS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-comma-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'stripe-signature',
  'x-slack-signature',
  'x-shopify-hmac-sha256',
  'webhook-signature',
  'svix-signature',
]);
// Names that by convention carry credentials, whatever the tool.
const SUSPECT = /signature|secret|token|password|api[-_]?key|auth|hmac|session/i;

/** Header name → value (arrays kept), with secret-bearing values replaced by MASKED. */
export function maskSecretHeaders(
  headers: IncomingHttpHeaders,
  alsoSecret: readonly string[] = [],
): Record<string, string | string[]> {
  const extra = new Set(alsoSecret.map((h) => h.toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    out[n] = ALWAYS.has(n) || extra.has(n) || SUSPECT.test(n) ? MASKED : value;
  }
  return out;
}
