// The one interface every SaaS source preset implements: verify a delivery's signature, and say
// how its headers and body become the archive's message (the defaults a `mapping` can override).
import type { IncomingHttpHeaders } from 'node:http';
import type { Participant } from '../../../../lib/payload';
import type { SourceConfig, SourceKind } from '../../../../lib/sources/config';
import type { DecodedBody } from './body';

export type VerifyFailureCode = 'signature_missing' | 'signature_mismatch' | 'signature_expired';
export type VerifyResult = { ok: true } | { ok: false; code: VerifyFailureCode; message: string };

export interface VerifyRequest {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  secret: string;
  config: SourceConfig;
  now: Date;
}

export type { Participant };

export interface Delivery {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: DecodedBody;
  config: SourceConfig;
  receivedAt: Date;
}

/** The preset's own reading of a delivery; undefined fields fall back to generic defaults. */
export interface DeliveryDefaults {
  externalId?: string;
  /** ISO 8601, unix seconds or milliseconds. */
  occurredAt?: string | number;
  from?: Participant;
  to?: Participant[];
  /** Event name (GitHub event, Stripe type, Shopify topic…), kept as the message's `event`. */
  event?: string;
  /** The main human-readable text of the delivery, if it has one. */
  text?: string;
}

export interface SourcePreset {
  kind: Exclude<SourceKind, 'comma'>;
  /** Headers that carry secrets or signatures: masked wherever request headers are kept. */
  signatureHeaders: readonly string[];
  verify(req: VerifyRequest): VerifyResult;
  describe(delivery: Delivery): DeliveryDefaults;
  /** A delivery answered directly and not archived (Slack's url_verification handshake). */
  reply?(delivery: Delivery): Record<string, unknown> | undefined;
}
