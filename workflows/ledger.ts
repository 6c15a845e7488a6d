// The per-tenant ledger workflows. ledgerIntegrator seals a checkpoint every 10 s (or at once
// when signalled after 1,000 leaves); ledgerAuditor audits the log on a fixed interval. Both
// are long-running and continue-as-new, so their histories stay short.
import {
  condition,
  continueAsNew,
  defineSignal,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CHECKPOINT_DUE_SIGNAL } from '../ledger/workflow-ids';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };
const acts = proxyLocalActivities<Activities>({ startToCloseTimeout: '5 minutes', retry });

export const checkpointDue = defineSignal<[boolean?]>(CHECKPOINT_DUE_SIGNAL);

const CHECKPOINT_INTERVAL_MS = 10_000;
const ITERATIONS_PER_RUN = 200;

export async function ledgerIntegrator(input: { tenantId: string }): Promise<void> {
  let due = false;
  setHandler(checkpointDue, (force) => {
    if (force) due = true;
  });
  for (let i = 0; i < ITERATIONS_PER_RUN; i++) {
    await condition(() => due, CHECKPOINT_INTERVAL_MS);
    const force = due;
    due = false;
    await acts.integrateCheckpoint(input.tenantId, force);
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
