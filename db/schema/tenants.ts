import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  // How long sealed WORM objects are retained (SEC 17a-4 asks for 6 years for most records).
  retentionDays: integer('retention_days')
    .notNull()
    .default(7 * 365 + 2),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type Tenant = typeof tenants.$inferSelect;
