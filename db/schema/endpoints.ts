import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { SOURCE_KINDS, type SourceConfig } from '../../lib/sources/config';
import { createdAt, updatedAt } from './columns';
import { tenants } from './tenants';

export const authModeEnum = pgEnum('auth_mode', ['bearer', 'hmac']);
export type AuthMode = (typeof authModeEnum.enumValues)[number];
// Who sends to the endpoint: 'comma' is the contract (Bearer/HMAC); the others are SaaS presets.
export const endpointSourceEnum = pgEnum('endpoint_source', SOURCE_KINDS);

export const endpoints = pgTable(
  'endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    // The URL token is looked up by its SHA-256 (never stored in clear); the sealed copy lets
    // the dashboard show the URL again. The secret, by contrast, is shown only once.
    tokenHash: text('token_hash').notNull().unique(),
    tokenSealed: text('token_sealed').notNull(),
    authMode: authModeEnum('auth_mode').notNull(),
    source: endpointSourceEnum('source').notNull().default('comma'),
    // Preset settings (custom-hmac, payload mapping); never a secret. Validated by sourceConfigSchema.
    sourceConfig: jsonb('source_config').$type<SourceConfig>().notNull().default({}),
    secretSealed: text('secret_sealed').notNull(),
    ipAllowlist: text('ip_allowlist').array().notNull().default([]),
    enabled: boolean('enabled').notNull().default(true),
    // Token bucket: sustained requests/second and burst capacity (the contract's soft limit is 100/s).
    rateLimitPerSecond: integer('rate_limit_per_second').notNull().default(100),
    rateLimitBurst: integer('rate_limit_burst').notNull().default(200),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    secretRotatedAt: timestamp('secret_rotated_at', { withTimezone: true }).notNull().defaultNow(),
    // Bumped by a trigger on every change to the row (and to its tenant's retention): the ingest
    // path caches endpoints, and a receipt is only written while the revision it was checked
    // against is still current (apps/server/ingest/endpoint-cache.ts).
    revision: integer('revision').notNull().default(0),
    // Soft delete: messages keep pointing at their endpoint; the token stops resolving.
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [index('endpoints_tenant_idx').on(t.tenantId, t.createdAt)],
);

export type Endpoint = typeof endpoints.$inferSelect;
