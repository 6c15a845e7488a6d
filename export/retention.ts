// Retention of finished bundles: EXPORT_RETENTION_DAYS after an export completed, its zip in
// EXPORT_DIR is deleted and the row becomes `expired` (kept: who exported what, when, and the
// bundle's SHA-256 stay on record; the download answers 410 export_expired). A Temporal schedule
// runs the sweep hourly (workflow expireExports), so it needs no process of its own and runs
// once however many workers there are.
import { rm } from 'node:fs/promises';
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { and, asc, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { exportJobs } from '../db/schema';
import type { Logger } from '../lib/logger';
import { bundleFile } from './build';

/** One schedule per task queue: deployments (and test stacks) sharing a namespace keep their own. */
export const exportRetentionScheduleId = (taskQueue: string) => `export-retention-${taskQueue}`;
const BATCH = 500;

export interface RetentionDeps {
  db: Db;
  exportDir: string;
  log: Logger;
}

/** Deletes the bundles completed before `retentionDays` ago and marks them expired. */
export async function expireBundles(deps: RetentionDeps, retentionDays: number, now = new Date()) {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  let expired = 0;
  for (;;) {
    const due = await deps.db
      .select({ id: exportJobs.id })
      .from(exportJobs)
      .where(and(eq(exportJobs.state, 'completed'), lt(exportJobs.completedAt, cutoff)))
      .orderBy(asc(exportJobs.completedAt))
      .limit(BATCH);
    for (const { id } of due) {
      // The file first: a crash in between leaves a completed row whose file is gone, which the
      // next sweep expires; the other order could leave a file no sweep looks at again.
      await rm(bundleFile(deps.exportDir, id), { force: true });
      await deps.db
        .update(exportJobs)
        .set({ state: 'expired', updatedAt: new Date() })
        .where(and(eq(exportJobs.id, id), eq(exportJobs.state, 'completed')));
      expired++;
    }
    if (due.length < BATCH) break;
  }
  if (expired > 0) deps.log.info({ expired, retentionDays }, 'export bundles expired');
  return expired;
}

/** Creates the hourly sweep's schedule, or brings its retention setting up to date. Idempotent. */
export async function ensureExportRetentionSchedule(
  client: Client,
  taskQueue: string,
  retentionDays: number,
) {
  const id = exportRetentionScheduleId(taskQueue);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'expireExports',
    taskQueue,
    args: [{ retentionDays }],
  };
  try {
    await client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: '1 hour' }] },
      action: { ...action, workflowId: id },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(id).update((prev) => ({
      ...prev,
      action: { ...action, workflowId: id },
    }));
  }
}
