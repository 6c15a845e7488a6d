// The workflow's input and results. Plain data only: this file is imported by workflow code.

/**
 * A reference to one ingest receipt, not the message: the exact bytes, the request's context and
 * the retention fixed at receipt are read from the receipt row by the activities, so the
 * workflow history never carries a body (Temporal payloads warn at 256 KB and fail at 2 MB).
 */
export interface ArchiveMessageInput {
  /** The message id, which is also the receipt's id. */
  messageId: string;
  tenantId: string;
  endpointId: string;
  externalId: string;
  workflowId: string;
  /** SHA-256 of the exact bytes received: the activities refuse a receipt that doesn't match. */
  rawSha256: string;
  /** Attempts per URL attachment before it is recorded as fetch_failed (FETCH_MAX_ATTEMPTS). */
  fetchMaxAttempts?: number;
}

export type ArchiveOutcome =
  | { outcome: 'archived'; messageId: string; manifestKey: string }
  | { outcome: 'duplicate'; messageId: string; conflict: boolean };

/**
 * archiveMessage's patch that folded the ledger step into seal (one local activity and one round
 * trip fewer). Here, not in the workflow, so the e2e benchmark's stand-in records the same marker.
 */
export const SEAL_RECORDS_LEAF_PATCH = 'seal-records-ledger-leaf';

// Every failure type an activity can end with (activities/failures.ts maps errors to them).

/** Never retried. The first three fail the message (recorded as failed); a failed fetch fails
 * only its attachment (recorded as fetch_failed; the message is archived anyway). */
export const NON_RETRYABLE = {
  validation: 'ValidationError',
  integrity: 'IntegrityError',
  conflict: 'WormConflictError',
  attachmentFetchFailed: 'AttachmentFetchFailed',
  /** A deterministic database data error (SQLSTATE 22/23/54): see activities/errors.ts. */
  data: 'DataError',
} as const;

/** Retried by policy, with the type named so histories and logs say why. */
export const RETRYABLE = {
  attachmentFetch: 'AttachmentFetchRetryable',
  /**
   * A local attempt skipped because the activity just failed on infrastructure
   * (activities/local-breaker.ts): archiveMessage moves the step to a regular activity at once.
   */
  dependencyUnavailable: 'DependencyUnavailable',
  /** An export waits for the transparency log to seal a checkpoint over its messages. */
  exportNotReady: 'ExportNotReady',
} as const;
