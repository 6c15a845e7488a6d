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

// The rule's verdict by header name, remembered: every request repeats the same dozen names,
// and the regex ran on each of them on every ack (request log on). Producers choose names,
// so the memo stops growing at MEMO_MAX and the rest are tested each time.
const verdicts = new Map<string, boolean>();
const MEMO_MAX = 1024;

/** The one rule for which request headers are never kept: receipts' evidence and the request log. */
export function isSecretHeader(name: string, alsoSecret?: ReadonlySet<string>): boolean {
  const known = verdicts.get(name);
  if (known !== undefined) return known || (alsoSecret?.has(name.toLowerCase()) ?? false);
  const n = name.toLowerCase();
  const verdict = ALWAYS.has(n) || SUSPECT.test(n);
  if (verdicts.size < MEMO_MAX) verdicts.set(name, verdict);
  return verdict || (alsoSecret?.has(n) ?? false);
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
