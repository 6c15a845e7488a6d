import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { tenants } from '../db/schema';

/** Runs started before retentionDays travelled in the input look the tenant's up. */
export async function messageRetentionDays(
  db: Db,
  input: { tenantId: string; retentionDays?: number | undefined },
): Promise<number> {
  return input.retentionDays ?? tenantRetentionDays(db, input.tenantId);
}

export async function tenantRetentionDays(db: Db, tenantId: string): Promise<number> {
  const [row] = await db
    .select({ days: tenants.retentionDays })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  if (!row) throw new Error(`tenant ${tenantId} not found`);
  return row.days;
}
