// Request headers as the log keeps them: every value that is or may carry a credential is
// replaced by a marker, before anything leaves the request's memory.
import type { IncomingHttpHeaders } from 'node:http';

export const MASKED = '[masked]';
const MAX_HEADERS = 64;
const MAX_VALUE = 512;

// Authorization and cookies always; anything whose name smells of a credential; and every
// signature header (an HMAC is not the secret, but it is a valid credential for that body).
const SECRET_NAME =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|secret|token|signature|passw|api-?key|auth|session|credential/i;

export function maskHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (++n > MAX_HEADERS) break;
    const v = Array.isArray(value) ? value.join(', ') : String(value);
    out[name] = SECRET_NAME.test(name) ? MASKED : v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}…` : v;
  }
  return out;
}
