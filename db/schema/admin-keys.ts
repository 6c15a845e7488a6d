import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { Role } from '../../lib/roles';
import { createdAt } from './columns';
import { tenants } from './tenants';

// Admin keys are 256-bit random strings, so a plain SHA-256 is a safe lookup hash:
// there is nothing to brute-force, and the lookup is an index probe, not a compare.
export const adminKeys = pgTable(
  'admin_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    // The first characters, so an operator can tell keys apart without seeing one.
    keyPrefix: text('key_prefix').notNull(),
    // What the key may do (lib/roles.ts); keys made before roles existed are admin keys.
    role: text('role').$type<Role>().notNull().default('admin'),
    // Past this instant the key is refused like a revoked one.
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('admin_keys_tenant_idx').on(t.tenantId)],
);

export type AdminKey = typeof adminKeys.$inferSelect;
