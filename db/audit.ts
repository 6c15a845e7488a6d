import type { Db, Tx } from './client';
import { type AuditEntry, auditLog } from './schema';

/** Appends one audit entry; pass the transaction that made the change so both commit together. */
export async function audit(db: Db | Tx, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}
