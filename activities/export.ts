// The export activities (export/build.ts does the work). The long steps heartbeat their progress;
// a retry after a dead worker reads the last heartbeat and resumes from there.
import { Context } from '@temporalio/activity';
import {
  type ExportDeps,
  finalizeExport,
  type MessagesProgress,
  prepareExport,
  recordFailure,
  recordProgress,
  stageMessages,
  stageRsmf,
} from '../export/build';
import { expireBundles } from '../export/retention';
import type { ActivityDeps } from './deps';

/** Progress goes to the database at most this often (the heartbeat is throttled by the SDK). */
const PROGRESS_EVERY_MS = 500;

export function createExportActivities(deps: ActivityDeps) {
  const x: ExportDeps = {
    db: deps.db,
    worm: deps.worm,
    evidence: deps.evidence,
    exportDir: deps.exportDir,
    log: deps.log,
  };
  return {
    async exportPrepare(id: string) {
      return prepareExport(x, id);
    },

    async exportMessages(id: string): Promise<MessagesProgress> {
      const ctx = Context.current();
      const resume = ctx.info.heartbeatDetails as MessagesProgress | undefined;
      if (resume) deps.log.info({ exportId: id, done: resume.done }, 'export resumes');
      let last = 0;
      const result = await stageMessages(x, id, resume, async (p) => {
        ctx.heartbeat(p);
        if (Date.now() - last >= PROGRESS_EVERY_MS) {
          last = Date.now();
          await recordProgress(deps.db, id, p);
        }
      });
      await recordProgress(deps.db, id, result);
      return result;
    },

    async exportRsmf(id: string): Promise<number> {
      const ctx = Context.current();
      const resume = (ctx.info.heartbeatDetails as number | undefined) ?? 0;
      return stageRsmf(x, id, resume, (files) => ctx.heartbeat(files));
    },

    async exportFinalize(id: string) {
      // The heartbeat timeout applies here too: a bundle of many files takes longer than it.
      const ctx = Context.current();
      return finalizeExport(x, id, (files) => ctx.heartbeat(files));
    },

    async exportExpire(retentionDays: number) {
      return expireBundles(x, retentionDays);
    },

    async exportFailed(id: string, error: string) {
      await recordFailure(deps.db, id, error);
    },
  };
}
