// Request headers as the log keeps them: every value that is or may carry a credential is
// replaced by a marker (the rule is the receipts' own, sources/mask-headers.ts), before anything
// leaves the request's memory; and, the log being bounded, at most so many and so long.
import type { IncomingHttpHeaders } from 'node:http';
import { isSecretHeader, MASKED } from '../ingest/sources/mask-headers';

export { MASKED };

const MAX_HEADERS = 64;
const MAX_VALUE = 512;

export function maskHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (++n > MAX_HEADERS) break;
    const v = Array.isArray(value) ? value.join(', ') : String(value);
    out[name] = isSecretHeader(name) ? MASKED : v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}…` : v;
  }
  return out;
}
