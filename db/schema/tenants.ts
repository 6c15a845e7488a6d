import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  // How long sealed WORM objects are retained (SEC 17a-4 asks for 6 years for most records).
  retentionDays: integer('retention_days')
    .notNull()
    .default(7 * 365 + 2),
  createdAt: createdAt(),
});

export type Tenant = typeof tenants.$inferSelect;
