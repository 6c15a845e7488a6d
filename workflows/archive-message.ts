// archiveMessage: one run per (endpoint, external_id). Deterministic code only: every side
// effect is an activity, every activity idempotent, so a crash anywhere resumes safely.
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SA_ATTACHMENTS, SA_STATUS } from '../lib/temporal/search-attributes';
import { type ArchiveMessageInput, type ArchiveOutcome, NON_RETRYABLE } from './types';

// Infrastructure outages (database, object store) are waited out: retries never give up,
// because an acknowledged message must end archived. Bad data is non-retryable by type.
const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: Object.values(NON_RETRYABLE),
};

// These steps are short (database rows, objects up to 10 MB), so they run as local activities:
// executed by the worker that runs the workflow task and recorded in its completion, with no
// extra round trips through the Temporal server per step. That is what lets one worker archive
// hundreds of messages a second. Same retries, same idempotence; a dead worker's workflow task
// times out and another worker re-runs the step.
const acts = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry });

const DEFAULT_FETCH_ATTEMPTS = 10;
const PARALLEL_FETCHES = 4;

function fetcher(maximumAttempts: number) {
  // Downloads can be long: a regular activity with heartbeats, so a dead worker's download is
  // noticed within the heartbeat timeout and retried elsewhere.
  return proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    retry: { ...retry, maximumAttempts, nonRetryableErrorTypes: ['AttachmentFetchFailed'] },
  });
}

function setStatus(status: 'duplicate' | 'failed'): void {
  upsertSearchAttributes([{ key: SA_STATUS, value: status }]);
}

export async function archiveMessage(input: ArchiveMessageInput): Promise<ArchiveOutcome> {
  try {
    await acts.validate(input);
    const persisted = await acts.persist(input);
    if (persisted.duplicate && (persisted.conflict || persisted.alreadyArchived)) {
      setStatus('duplicate');
      return { outcome: 'duplicate', messageId: input.messageId, conflict: persisted.conflict };
    }
    const { inline, urlOrdinals } = await acts.storeInlineAttachments(input);
    const failed = await fetchUrlAttachments(input, urlOrdinals);
    const { manifestKey, manifestSha256 } = await acts.commitWorm(input);
    await acts.markArchived(input, manifestKey);
    await acts.appendToLedger(input, { manifestKey, manifestSha256 }); // evidence: transparency-log leaf
    // One upsert at the end: each one is a history event and a visibility write on the Temporal
    // server, the bottleneck of the whole pipeline. Runs still in flight show 'received' (set at
    // start); the messages row has the fine-grained status.
    upsertSearchAttributes([
      { key: SA_STATUS, value: 'archived' },
      {
        key: SA_ATTACHMENTS,
        value: failed > 0 ? 'fetch_failed' : inline + urlOrdinals.length > 0 ? 'stored' : 'none',
      },
    ]);
    return { outcome: 'archived', messageId: input.messageId, manifestKey };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) {
      // Never a silent drop: the row and the audit log say failed, and why.
      log.warn('message failed permanently', { messageId: input.messageId, type: cause.type });
      await acts.recordFailure(input, `${cause.type ?? 'Error'}: ${cause.message}`);
      setStatus('failed');
    }
    throw err;
  }
}

/** Fetches URL attachments a few at a time; returns how many ended fetch_failed. */
async function fetchUrlAttachments(input: ArchiveMessageInput, ordinals: number[]): Promise<number> {
  const { fetchAttachment } = fetcher(input.fetchMaxAttempts ?? DEFAULT_FETCH_ATTEMPTS);
  let failed = 0;
  const queue = [...ordinals];
  const lane = async () => {
    for (let ordinal = queue.shift(); ordinal !== undefined; ordinal = queue.shift()) {
      try {
        await fetchAttachment(input, ordinal);
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        failed++;
        const reason = err.cause?.message ?? err.message;
        await acts.markAttachmentFailed(input, ordinal, reason);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, ordinals.length) }, lane));
  return failed;
}
