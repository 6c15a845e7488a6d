// The workflow's input and results. Plain data only: this file is imported by workflow code.

/** Where the exact bytes received are: inline (small bodies) or a claim-check WORM object. */
export interface RawBodyRef {
  sha256: string;
  size: number;
  /** base64 of the raw body, for bodies up to INLINE_BODY_MAX_BYTES. */
  inlineBase64?: string;
  /** WORM key of the raw body, stored before the workflow started (claim check). */
  claimCheckKey?: string;
}

export interface ArchiveMessageInput {
  tenantId: string;
  endpointId: string;
  messageId: string;
  workflowId: string;
  externalId: string;
  authMode: 'bearer' | 'hmac';
  requestId: string;
  receivedAt: string;
  sourceIp: string | null;
  raw: RawBodyRef;
  /**
   * Sources hook: the message as mapped from a SaaS source preset (apps/server/ingest/sources), as
   * JSON bytes. Absent when the raw body already is the payload. The activities validate and
   * persist this; `raw` stays the exact evidence.
   */
  payload?: RawBodyRef;
  /**
   * The tenant's retention when the message was received: every object of the message is sealed
   * until receivedAt + this. Fixed at receipt, so a later policy change can't shorten it.
   */
  retentionDays?: number;
  /** Attempts per URL attachment before it is recorded as fetch_failed (FETCH_MAX_ATTEMPTS). */
  fetchMaxAttempts?: number;
}

export type ArchiveOutcome =
  | { outcome: 'archived'; messageId: string; manifestKey: string }
  | { outcome: 'duplicate'; messageId: string; conflict: boolean };

/** Error types the activities throw as non-retryable; the workflow records them as a failure. */
export const NON_RETRYABLE = {
  validation: 'ValidationError',
  integrity: 'IntegrityError',
  conflict: 'WormConflictError',
} as const;
