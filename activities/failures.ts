// The one place where what went wrong in an activity becomes what Temporal does about it. Domain
// errors are thrown as themselves (WORM, fetch, archive data); here each is mapped to an
// ApplicationFailure of a type from the catalog in workflows/types.ts: non-retryable when no retry
// can fix it, retryable (with the server's hint of when) otherwise. Anything unrecognised is an
// infrastructure failure, retried by policy.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ExportIntegrityError, ExportNotReadyError } from '../export/build';
import type { Logger } from '../lib/logger';
import { NON_RETRYABLE, RETRYABLE } from '../workflows/types';
import { WormConflictError, WormIntegrityError } from '../worm/store';
import { classifyError } from './errors';
import { FetchPermanentError, FetchRetryableError } from './fetch';
import { LocalAttemptBreaker } from './local-breaker';

/** Bytes or a message that no retry can make archivable (schema refusal, hash mismatch). */
export class ArchiveDataError extends Error {
  override name = 'ArchiveDataError';
  constructor(
    readonly kind: 'validation' | 'integrity',
    message: string,
  ) {
    super(message);
  }
}

export function toFailure(err: unknown, log: Logger, activity: string): unknown {
  const cls = classifyError(err);
  if (cls.kind === 'data') {
    // Never retried in silence: an error-level log (alerting), then the workflow records `failed`.
    log.error({ activity, sqlstate: cls.sqlstate }, 'deterministic data error; not retried');
    return ApplicationFailure.nonRetryable(`${cls.sqlstate} ${cls.message}`, NON_RETRYABLE.data);
  }
  if (err instanceof ArchiveDataError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE[err.kind]);
  if (err instanceof WormConflictError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.conflict);
  if (err instanceof WormIntegrityError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.integrity);
  if (err instanceof ExportIntegrityError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.integrity);
  if (err instanceof ExportNotReadyError)
    return ApplicationFailure.create({
      message: err.message,
      type: RETRYABLE.exportNotReady,
      nextRetryDelay: 2000,
    });
  if (err instanceof FetchPermanentError) {
    return ApplicationFailure.nonRetryable(
      `${err.reason}: ${err.message}`,
      NON_RETRYABLE.attachmentFetchFailed,
    );
  }
  if (err instanceof FetchRetryableError) {
    return ApplicationFailure.create({
      message: `${err.reason}: ${err.message}`,
      type: RETRYABLE.attachmentFetch,
      ...(err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  return err;
}

/**
 * Wraps every activity so its errors go through toFailure, and its local attempts through the
 * breaker (activities/local-breaker.ts): skipped while the activity keeps failing on infrastructure.
 */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  acts: T,
  log: Logger,
  breaker = new LocalAttemptBreaker(),
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    wrapped[name] = async (...args: never[]) => {
      if (isLocalAttempt() && breaker.isOpen(name)) {
        throw ApplicationFailure.create({
          message: `${name} failed on infrastructure moments ago; not holding a workflow-task slot for a local attempt`,
          type: RETRYABLE.dependencyUnavailable,
        });
      }
      try {
        const result = await fn(...args);
        breaker.succeeded(name);
        return result;
      } catch (err) {
        const failure = toFailure(err, log, name);
        if (!(failure instanceof ApplicationFailure && failure.nonRetryable)) breaker.failed(name);
        throw failure;
      }
    };
  }
  return wrapped as T;
}

function isLocalAttempt(): boolean {
  try {
    return Context.current().info.isLocal;
  } catch {
    return false; // called outside an activity (tests, scripts)
  }
}
