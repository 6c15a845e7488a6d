// First start: a default tenant and an admin key, the key written to DATA_DIR/admin-key (0600).
// Later starts find the tenant and leave everything as it is.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { audit } from '../../db/audit';
import type { Db } from '../../db/client';
import { adminKeys, tenants } from '../../db/schema';
import { randomToken, sha256Hex } from '../../lib/crypto';

export const newAdminKey = () => `wa_admin_${randomToken(32)}`;

/** Creates a tenant with one admin key; returns the key in clear (the only time it exists so). */
export async function createTenantWithKey(
  db: Db,
  name: string,
  opts: { keyName?: string; retentionDays?: number } = {},
) {
  const key = newAdminKey();
  const keyName = opts.keyName ?? 'default';
  return db.transaction(async (tx) => {
    const [tenant] = await tx
      .insert(tenants)
      .values({ name, ...(opts.retentionDays ? { retentionDays: opts.retentionDays } : {}) })
      .returning();
    const [row] = await tx
      .insert(adminKeys)
      .values({ tenantId: tenant!.id, name: keyName, keyHash: sha256Hex(key), keyPrefix: key.slice(0, 13) })
      .returning({ id: adminKeys.id });
    await audit(tx, {
      tenantId: tenant!.id,
      actor: 'system',
      action: 'tenant.created',
      targetType: 'tenant',
      targetId: tenant!.id,
      details: { name, adminKeyId: row!.id },
    });
    return { tenantId: tenant!.id, adminKeyId: row!.id, adminKey: key };
  });
}

export interface BootstrapResult {
  adminKeyFile: string;
  adminKey: string;
  created: boolean;
}

export async function bootstrapDefaultTenant(
  db: Db,
  dataDir: string,
  retentionDays?: number,
): Promise<BootstrapResult> {
  const adminKeyFile = path.join(dataDir, 'admin-key');
  const existing = await db.select({ id: tenants.id }).from(tenants).limit(1);
  if (existing.length > 0 && existsSync(adminKeyFile)) {
    return { adminKeyFile, adminKey: readFileSync(adminKeyFile, 'utf8').trim(), created: false };
  }
  if (existing.length > 0) {
    // The key file was removed: mint a fresh key for the first tenant rather than lock the operator out.
    const key = newAdminKey();
    await db.insert(adminKeys).values({
      tenantId: existing[0]!.id,
      name: 'recovered',
      keyHash: sha256Hex(key),
      keyPrefix: key.slice(0, 13),
    });
    writeKeyFile(adminKeyFile, key);
    return { adminKeyFile, adminKey: key, created: true };
  }
  const { adminKey } = await createTenantWithKey(db, 'default', { retentionDays });
  writeKeyFile(adminKeyFile, adminKey);
  return { adminKeyFile, adminKey, created: true };
}

function writeKeyFile(file: string, key: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
}
