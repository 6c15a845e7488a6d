// Column shapes shared by several tables, so each is written once.
import { customType, timestamp } from 'drizzle-orm/pg-core';

/** A point in time, always with its zone. */
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true });

/** When the row was created / last changed. */
export const createdAt = () => timestamptz('created_at').notNull().defaultNow();
export const updatedAt = () => timestamptz('updated_at').notNull().defaultNow();

/**
 * Exact bytes. postgres.js hands back a Buffer and PGlite a Uint8Array: both become a Buffer,
 * so callers never see the difference.
 */
export const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});
