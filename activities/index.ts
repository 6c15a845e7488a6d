// Activities are built by a factory over their dependencies (samples-typescript's
// activities-dependency-injection), so the worker and the tests wire real components in.
import { ApplicationFailure } from '@temporalio/activity';
import { NON_RETRYABLE } from '../workflows/types';
import { WormConflictError, WormIntegrityError } from '../worm/store';
import { createAttachmentActivities } from './attachments';
import { createCommitWormActivities } from './commit-worm';
import type { ActivityDeps } from './deps';
import { createFetchAttachmentActivities } from './fetch-attachment';
import { createLedgerActivities } from './ledger';
import { createPersistActivities } from './persist';

export function createActivities(deps: ActivityDeps) {
  const activities = {
    ...createPersistActivities(deps),
    ...createAttachmentActivities(deps),
    ...createCommitWormActivities(deps),
    ...createFetchAttachmentActivities(deps),
    ...createLedgerActivities(deps),
  };
  return withFailureMapping(activities);
}

export type Activities = ReturnType<typeof createActivities>;

/** Errors that no retry can fix become non-retryable; everything else is retried by policy. */
function toFailure(err: unknown): unknown {
  if (err instanceof WormConflictError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.conflict);
  if (err instanceof WormIntegrityError)
    return ApplicationFailure.nonRetryable(err.message, NON_RETRYABLE.integrity);
  return err;
}

function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toFailure(err);
      }
    };
  }
  return wrapped as T;
}
