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
const SUSPECT = /signature|secret|token|passw|api[-_]?key|auth|hmac|session|credential/i;

/** The one rule for which request headers are never kept: receipts' evidence and the request log. */
export function isSecretHeader(name: string, alsoSecret: ReadonlySet<string> = new Set()): boolean {
  const n = name.toLowerCase();
  return ALWAYS.has(n) || alsoSecret.has(n) || SUSPECT.test(n);
}

/** Header name → value (arrays kept), with secret-bearing values replaced by MASKED. */
export function maskSecretHeaders(
  headers: IncomingHttpHeaders,
  alsoSecret: readonly string[] = [],
): Record<string, string | string[]> {
  const extra = new Set(alsoSecret.map((h) => h.toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = isSecretHeader(name, extra) ? MASKED : value;
  }
  return out;
}
