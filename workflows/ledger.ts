// The per-tenant ledger workflows. ledgerIntegrator sequences new leaves every second and seals
// a checkpoint when 1,000 are waiting or 10 s have passed (the policy lives in the activity);
// while its tenant sends nothing it looks less and less often, down to every 10 s. ledgerAuditor
// audits the log on a fixed interval. Both continue-as-new to keep histories short.
import { continueAsNew, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };
// Every backoff a workflow timer (threshold below the first interval): a local activity holds a
// workflow-task slot while it waits out a local backoff, and these retry without limit during an
// outage of the database or the WORM store.
const acts = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  localRetryThreshold: '500 milliseconds',
  retry,
});

const ITERATIONS_PER_RUN = 300;
// Each look is a timer, a workflow task and a local activity: ~12 ms of CPU across the dev server
// and the worker (measured: 50 idle tenants took 56 % of a core looking every second). So an idle
// tenant's integrator doubles its pause up to the checkpoint cadence's 10 s; the first look that
// finds a leaf waiting goes back to every second. A leaf archived after a quiet spell is numbered
// and checkpointed within ~10 s instead of ~1 s.
const BUSY_PAUSE_MS = 1000;
const IDLE_PAUSE_MAX_MS = 10_000;

export async function ledgerIntegrator(input: { tenantId: string }): Promise<void> {
  // No patch needed: replay does not compare a timer's duration, only that a timer comes next
  // (workflows/replay.test.ts replays a run recorded before the back-off).
  let pauseMs = BUSY_PAUSE_MS;
  for (let i = 0; i < ITERATIONS_PER_RUN; i++) {
    await sleep(pauseMs);
    const result = await acts.integrateCheckpoint(input.tenantId);
    const idle = !result.integrated && result.pending === 0;
    pauseMs = idle ? Math.min(pauseMs * 2, IDLE_PAUSE_MAX_MS) : BUSY_PAUSE_MS;
  }
  await continueAsNew<typeof ledgerIntegrator>(input);
}

export async function ledgerAuditor(input: {
  tenantId: string;
  intervalSeconds: number;
  sample: number;
}): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await sleep(input.intervalSeconds * 1000);
    await acts.auditLedger(input.tenantId, input.sample);
  }
  await continueAsNew<typeof ledgerAuditor>(input);
}
