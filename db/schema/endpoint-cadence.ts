import { integer, pgTable, uuid } from 'drizzle-orm/pg-core';
import { updatedAt } from './columns';
import { endpoints } from './endpoints';

// Completeness: how long an endpoint may stay silent before it is flagged (expectSilenceAtMost).
// Its own table so the endpoints row (and its hot-path lookup) stays as it is.
export const endpointCadence = pgTable('endpoint_cadence', {
  endpointId: uuid('endpoint_id')
    .primaryKey()
    .references(() => endpoints.id),
  expectSilenceAtMostSeconds: integer('expect_silence_at_most_seconds').notNull(),
  updatedAt: updatedAt(),
});
