// SaaS source presets: the ingest handler's two hooks (authenticate, parse) for endpoints whose
// source is not the contract's own ('comma'). Everything preset-specific lives in this folder.
import type { IncomingHttpHeaders } from 'node:http';
import type { Endpoint } from '../../../../db/schema';
import { parsePayload } from '../../../../lib/payload';
import type { SourceKind } from '../../../../lib/sources/config';
import { HttpError } from '../../http/respond';
import { customHmac } from './custom-hmac';
import { github } from './github';
import { type MapResult, mapDelivery } from './mapping';
import { maskSecretHeaders } from './mask-headers';
import { shopify } from './shopify';
import { slack } from './slack';
import { standardWebhooks, svix } from './standard-webhooks';
import { stripe } from './stripe';
import type { SourcePreset } from './types';

export { generateSecret, secretIssuedByTool, secretProblem } from './secrets';

export const PRESETS: Record<Exclude<SourceKind, 'comma'>, SourcePreset> = {
  'standard-webhooks': standardWebhooks,
  svix,
  github,
  stripe,
  slack,
  shopify,
  'custom-hmac': customHmac,
};

type SourcedEndpoint = Pick<Endpoint, 'source' | 'sourceConfig'>;

export const presetFor = (endpoint: Pick<Endpoint, 'source'>): SourcePreset | undefined =>
  endpoint.source === 'comma' ? undefined : PRESETS[endpoint.source];

/**
 * Authenticate step for a preset endpoint: the provider's signature scheme, or a 401. A stale
 * (but correctly signed) timestamp is `signature_expired`, so the sender's clock can be blamed.
 */
export function verifyDelivery(
  endpoint: SourcedEndpoint,
  headers: IncomingHttpHeaders,
  raw: Buffer,
  secret: string,
  now = new Date(),
): void {
  const preset = presetFor(endpoint);
  if (!preset) throw new Error('verifyDelivery called for a comma endpoint');
  const result = preset.verify({ headers, raw, secret, config: endpoint.sourceConfig, now });
  if (result.ok) return;
  throw new HttpError(
    result.code === 'signature_expired' ? 'signature_expired' : 'unauthorized',
    result.message,
  );
}

/**
 * Parse step: the contract's payload for 'comma', the preset's mapping otherwise (with the mapped
 * message's bytes in `mapped`), or `reply` for a handshake answered without archiving.
 */
export function parseDelivery(
  endpoint: SourcedEndpoint,
  headers: IncomingHttpHeaders,
  raw: Buffer,
  receivedAt: Date,
): MapResult | { reply: Record<string, unknown> } {
  const preset = presetFor(endpoint);
  if (!preset) return parsePayload(raw);
  return mapDelivery(preset, { headers, raw, receivedAt, config: endpoint.sourceConfig });
}

/** The request's headers for evidence, with this endpoint's secret-bearing ones masked. */
export function evidenceHeaders(endpoint: SourcedEndpoint, headers: IncomingHttpHeaders) {
  const preset = presetFor(endpoint);
  const custom = endpoint.sourceConfig.customHmac?.header;
  return maskSecretHeaders(headers, [...(preset?.signatureHeaders ?? []), ...(custom ? [custom] : [])]);
}
