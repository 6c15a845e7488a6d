// Endpoint secrets per source: which tools bring their own, what shape a given one must have, and
// what we generate when the tool expects us to.
import { randomBytes } from 'node:crypto';
import { randomToken } from '../../../../lib/crypto';
import { type SourceKind, TOOL_ISSUED_SECRET } from '../../../../lib/sources/config';
import { standardWebhooksKey } from './standard-webhooks';

export const secretIssuedByTool = (kind: SourceKind) => TOOL_ISSUED_SECRET.has(kind);

/** A fresh secret in the form the source's senders expect. */
export function generateSecret(kind: SourceKind): string {
  // Standard Webhooks keys are standard base64 after whsec_ (their libraries refuse base64url).
  if (kind === 'standard-webhooks' || kind === 'svix') return `whsec_${randomBytes(24).toString('base64')}`;
  return `whsec_${randomToken(32)}`;
}

/** Why a secret given by the operator can't work for this source, or null. */
export function secretProblem(kind: SourceKind, secret: string): string | null {
  if (kind === 'comma') return "source 'comma' secrets are generated; omit secret";
  if (kind === 'standard-webhooks' || kind === 'svix') {
    const body = secret.startsWith('whsec_') ? secret.slice(6) : secret;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || standardWebhooksKey(secret).length < 16)
      return 'secret must be whsec_ followed by base64 of at least 16 bytes, as the tool shows it';
  }
  return null;
}
