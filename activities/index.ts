// Activities are built by a factory over their dependencies (samples-typescript's
// activities-dependency-injection), so the worker and the tests wire real components in.
import { createArchiveActivities } from './archive';
import type { ActivityDeps } from './deps';
import { createExportActivities } from './export';
import { withFailureMapping } from './failures';
import { createFetchAttachmentActivities } from './fetch-attachment';
import { createLedgerActivities } from './ledger';

export function createActivities(deps: ActivityDeps) {
  const activities = {
    ...createArchiveActivities(deps),
    ...createFetchAttachmentActivities(deps),
    ...createLedgerActivities(deps),
    ...createExportActivities(deps),
  };
  return withFailureMapping(activities, deps.log);
}

export type Activities = ReturnType<typeof createActivities>;
