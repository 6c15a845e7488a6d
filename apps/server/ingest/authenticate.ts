// Producer authentication, exactly as the contract states it: Bearer secret, or
// X-Comma-Signature = hex HMAC-SHA256(secret, raw body). Both compared in constant time.
import type { IncomingHttpHeaders } from 'node:http';
import { constantTimeEqual, verifyHmacSignature } from '../../../lib/crypto';
import { HttpError } from '../http/respond';

const unauthorized = (message: string, reason: string) =>
  new HttpError(
    'unauthorized',
    message,
    { 'www-authenticate': 'Bearer realm="webhooks"' },
    undefined,
    reason,
  );

export function checkBearer(headers: IncomingHttpHeaders, secret: string): void {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '');
  if (!match)
    throw unauthorized(
      'missing Authorization: Bearer header',
      headers.authorization ? 'bearer_malformed' : 'bearer_missing',
    );
  if (!constantTimeEqual(match[1]!, secret)) throw unauthorized('invalid bearer secret', 'bearer_mismatch');
}

export function checkHmac(headers: IncomingHttpHeaders, secret: string, body: Uint8Array): void {
  const raw = headers['x-comma-signature'];
  const signature = Array.isArray(raw) ? raw[0] : raw;
  if (!signature) throw unauthorized('missing X-Comma-Signature header', 'signature_missing');
  if (!verifyHmacSignature(secret, body, signature))
    throw unauthorized('invalid X-Comma-Signature', 'signature_mismatch');
}
