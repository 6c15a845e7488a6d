// Activities are built by a factory over their dependencies (samples-typescript's
// activities-dependency-injection), so the worker and the tests wire real components in.
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../lib/logger';
import { NON_RETRYABLE } from '../workflows/types';
import { WormConflictError, WormIntegrityError } from '../worm/store';
import { createAttachmentActivities } from './attachments';
import { createCommitWormActivities } from './commit-worm';
import type { ActivityDeps } from './deps';
import { classifyError } from './errors';
import { createFetchAttachmentActivities } from './fetch-attachment';
import { createPersistActivities } from './persist';

export function createActivities(deps: ActivityDeps) {
  const activities = {
    ...createPersistActivities(deps),
    ...createAttachmentActivities(deps),
    ...createCommitWormActivities(deps),
    ...createFetchAttachmentActivities(deps),
  };
  return withFailureMapping(activities, deps.log);
}

export type Activities = ReturnType<typeof createActivities>;

/** Errors that no retry can fix become non-retryable; everything else is retried by policy. */
export function toFailure(err: unknown, log: Logger, activity: string): unknown {
  const cls = classifyError(err);
  if (cls.kind === 'data') {
    // Never retried in silence: an error-level log (alerting), then the workflow records `failed`.
    log.error({ activity, sqlstate: cls.sqlstate }, 'deterministic data error; not retried');
    return ApplicationFailure.nonRetryable(`${cls.sqlstate} ${cls.message}`, NON_RETRYABLE.data);
  }
  if (err instanceof WormConflictError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.conflict);
  if (err instanceof WormIntegrityError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.integrity);
  return err;
}

function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  acts: T,
  log: Logger,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toFailure(err, log, name);
      }
    };
  }
  return wrapped as T;
}
