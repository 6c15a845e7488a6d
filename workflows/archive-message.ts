// archiveMessage: one run per (endpoint, external_id). Deterministic code only: every side
// effect is an activity, every activity idempotent, so a crash anywhere resumes safely.
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SA_ATTACHMENTS, SA_STATUS } from '../lib/temporal/search-attributes';
import {
  type ArchiveMessageInput,
  type ArchiveOutcome,
  NON_RETRYABLE,
  RETRYABLE,
  SEAL_RECORDS_LEAF_PATCH,
} from './types';

// Infrastructure outages (database, object store) are waited out: retries never give up,
// because an acknowledged message must end archived. Bad data is non-retryable by type.
const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: Object.values(NON_RETRYABLE),
};

// The archive steps are short (database rows, objects up to 10 MB), so they run first as local
// activities: executed by the worker that runs the workflow task, with no round trips through
// the Temporal server per step. But a local activity holds its workflow task (and the worker's
// slot) while it runs and between quick retries, so a dependency's outage would freeze every
// slot: local attempts are few and short, any backoff over a second becomes a workflow timer,
// and after them the step continues as a regular activity, whose retries the server schedules
// without holding anything on the worker. Same activity, idempotent either way.
// The worker's breaker (activities/local-breaker.ts) ends the local attempts at once while the
// step keeps failing on infrastructure: no local retry then, straight to the regular activity.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '1 second',
  retry: {
    ...retry,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes, RETRYABLE.dependencyUnavailable],
  },
});
const remote = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry });

type StepName =
  | 'prepare'
  | 'seal'
  | 'appendToLedger'
  | 'settleDuplicate'
  | 'markAttachmentFailed'
  | 'recordFailure';

async function step<K extends StepName>(
  name: K,
  ...args: Parameters<Activities[K]>
): Promise<Awaited<ReturnType<Activities[K]>>> {
  const call = (acts: typeof local) =>
    (acts[name] as unknown as (...a: typeof args) => ReturnType<Activities[K]>)(...args);
  try {
    return await call(local);
  } catch (err) {
    if (isPermanent(err) && !isSkippedLocally(err)) throw err;
    log.warn('archive step still failing after its local attempts; continuing as a regular activity', {
      step: name,
      messageId: args[0].messageId,
    });
    return await call(remote);
  }
}

const DEFAULT_FETCH_ATTEMPTS = 10;
const PARALLEL_FETCHES = 4;

function fetcher(maximumAttempts: number) {
  // Downloads can be long: a regular activity with heartbeats, so a dead worker's download is
  // noticed within the heartbeat timeout and retried elsewhere.
  return proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    retry: { ...retry, maximumAttempts, nonRetryableErrorTypes: [NON_RETRYABLE.attachmentFetchFailed] },
  });
}

function setStatus(status: 'duplicate' | 'failed'): void {
  upsertSearchAttributes([{ key: SA_STATUS, value: status }]);
}

export async function archiveMessage(input: ArchiveMessageInput): Promise<ArchiveOutcome> {
  try {
    const prepared = await step('prepare', input);
    if (prepared.duplicate && (prepared.conflict || prepared.alreadyArchived)) {
      await step('settleDuplicate', input);
      setStatus('duplicate');
      return { outcome: 'duplicate', messageId: input.messageId, conflict: prepared.conflict };
    }
    // Most messages have no URL attachments: no lanes, no promises (each one a stack capture in
    // the SDK's sandbox). Commands are unchanged either way, so replay is unaffected.
    const failed =
      prepared.urlOrdinals.length > 0 ? await fetchUrlAttachments(input, prepared.urlOrdinals) : 0;
    // Seal also makes the manifest's hash the message's leaf in its tenant's transparency log, in
    // the statement that marks it archived. Runs started before it did replay their separate
    // ledger step (idempotent: it finds the leaf).
    const { manifestKey, manifestSha256 } = await step('seal', input);
    if (!patched(SEAL_RECORDS_LEAF_PATCH))
      await step('appendToLedger', input, { manifestKey, manifestSha256 });
    // One upsert at the end: each one is a history event and a visibility write on the Temporal
    // server, the bottleneck of the whole pipeline. Runs still in flight show 'received' (set at
    // start); the messages row has the fine-grained status.
    upsertSearchAttributes([
      { key: SA_STATUS, value: 'archived' },
      {
        key: SA_ATTACHMENTS,
        value:
          failed > 0 ? 'fetch_failed' : prepared.inline + prepared.urlOrdinals.length > 0 ? 'stored' : 'none',
      },
    ]);
    return { outcome: 'archived', messageId: input.messageId, manifestKey };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) {
      // Never a silent drop: the row, the receipt and the audit log say failed, and why.
      log.warn('message failed permanently', { messageId: input.messageId, type: cause.type });
      await step('recordFailure', input, `${cause.type ?? 'Error'}: ${cause.message}`);
      setStatus('failed');
    }
    throw err;
  }
}

function isPermanent(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

function isSkippedLocally(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === RETRYABLE.dependencyUnavailable;
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
        await step('markAttachmentFailed', input, ordinal, reason);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, ordinals.length) }, lane));
  return failed;
}
