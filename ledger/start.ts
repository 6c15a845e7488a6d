// Worker start-up hook: makes sure every tenant that has a log has its ledger workflows running.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { ledgerHeads } from '../db/schema';
import type { EvidenceDeps } from './deps';
import { ensureAllLedgerWorkflows } from './ensure';

export async function startLedgerWorkflows(
  client: Client,
  db: Db,
  taskQueue: string,
  evidence: EvidenceDeps,
) {
  const tenants = await db.select({ id: ledgerHeads.tenantId }).from(ledgerHeads);
  await ensureAllLedgerWorkflows(
    client,
    tenants.map((t) => t.id),
    { taskQueue, auditIntervalSeconds: evidence.auditIntervalSeconds, auditSample: evidence.auditSample },
  );
}
