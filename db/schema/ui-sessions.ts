import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { Role } from '../../lib/roles';
import { createdAt } from './columns';
import { tenants } from './tenants';

// A signed-in web UI user (OpenID Connect). The cookie holds a 256-bit random token; only its
// SHA-256 is stored, so a database read gives no usable session.
export const uiSessions = pgTable(
  'ui_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    tokenHash: text('token_hash').notNull().unique(),
    // The identity provider's issuer and subject: who this is, for the audit log.
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    displayName: text('display_name'),
    // Decided from the ID token's claims at sign-in; a changed claim takes effect at next sign-in.
    role: text('role').$type<Role>().notNull(),
    sourceIp: text('source_ip'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('ui_sessions_tenant_idx').on(t.tenantId)],
);

export type UiSession = typeof uiSessions.$inferSelect;
