// Tenant settings other stages read.
import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { tenants } from './schema';

/** The tenant's current retention (a message's own is fixed at receipt, on its receipt row). */
export async function tenantRetentionDays(db: Db, tenantId: string): Promise<number> {
  const [row] = await db
    .select({ days: tenants.retentionDays })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  if (!row) throw new Error(`tenant ${tenantId} not found`);
  return row.days;
}
