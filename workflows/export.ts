// exportBundle: one run per export. Four activities (export/build.ts): prepare the plan, stage the
// messages, the RSMF files, then sign and zip. The long ones heartbeat: a worker that dies is
// noticed within the heartbeat timeout, and the retry resumes from the last heartbeat.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE } from './types';

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [NON_RETRYABLE.integrity, NON_RETRYABLE.validation],
};

const short = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry });
const long = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '10 seconds',
  retry,
});

export interface ExportBundleInput {
  exportId: string;
}

export async function exportBundle(input: ExportBundleInput) {
  const id = input.exportId;
  try {
    const { total } = await short.exportPrepare(id);
    await long.exportMessages(id);
    const rsmfFiles = await long.exportRsmf(id);
    const bundle = await long.exportFinalize(id);
    return { total, rsmfFiles, ...bundle };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    // Never a silent stop: the export row says failed, and why.
    await short.exportFailed(id, message);
    if (cause instanceof ApplicationFailure) throw cause;
    throw err;
  }
}

/** The retention sweep (export/retention.ts), started hourly by the export-retention schedule. */
export async function expireExports(input: { retentionDays: number }): Promise<number> {
  return short.exportExpire(input.retentionDays);
}
