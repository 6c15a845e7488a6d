// The per-tenant ledger workflows. ledgerIntegrator sequences new leaves every second and seals
// a checkpoint when 1,000 are waiting or 10 s have passed (the policy lives in the activity);
// ledgerAuditor audits the log on a fixed interval. Both continue-as-new to keep histories short.
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

export async function ledgerIntegrator(input: { tenantId: string }): Promise<void> {
  for (let i = 0; i < ITERATIONS_PER_RUN; i++) {
    await sleep('1 second');
    await acts.integrateCheckpoint(input.tenantId);
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
