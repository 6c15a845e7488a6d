// The one place environment variables are read. Every setting has an embedded-mode default;
// a wrong value fails start-up with a message naming the variable.
import path from 'node:path';
import { z } from 'zod';
import { ZRole } from './roles';

export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

const commaList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()));

// OIDC_ROLE_MAP: `claim value=role` pairs, e.g. `archive-admins=admin,compliance=reviewer`.
const roleMap = commaList.pipe(
  z.array(
    z
      .string()
      .regex(/^[^=]+=[^=]+$/, 'each entry must be value=role')
      .transform((pair) => {
        const [value, role] = pair.split('=') as [string, string];
        return { value: value.trim(), role: role.trim() };
      })
      .pipe(z.object({ value: z.string().min(1), role: ZRole })),
  ),
);

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  // apps/server/main.ts only: this many HTTP processes share PORT (node:cluster), so the ack path
  // uses every core. Above 1 it needs REDIS_URL: each endpoint's rate limit must be shared.
  SERVER_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('webhook-archive'),
  TEMPORAL_CLI: z.string().optional(),
  // The embedded dev server's dynamic-config levers (lib/temporal/dev-server.ts); off for comparison.
  TEMPORAL_DEV_TUNING: booleanFlag.default(true),
  // Embedded mode: ask Temporal to hand each new run's first task to this process's worker
  // (eager start, skipping task-queue matching); off for comparison.
  TEMPORAL_EAGER_START: booleanFlag.default(true),
  // Where operators open Temporal Web (links in the UI); defaults to the dev server's UI port.
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  MASTER_KEY: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{43}$/,
      'must be 32 bytes, base64url (43 characters); generate one with `openssl rand -base64 32 | tr "+/" "-_" | tr -d =`',
    )
    .optional(),
  WORM_DIR: z.string().min(1).optional(),
  // Export bundles (staged while built, then the zip): server and worker must share it.
  EXPORT_DIR: z.string().min(1).optional(),
  // A finished bundle's file is deleted this many days after it completed (the row stays, `expired`;
  // its download answers 410 export_expired). Swept hourly by a Temporal schedule the worker keeps.
  EXPORT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  // When set, the WORM store is this S3 bucket (it must have Object Lock enabled); otherwise the
  // local directory store in WORM_DIR. Credentials come from the standard AWS chain.
  S3_BUCKET: z.string().min(1).optional(),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: booleanFlag.default(false),
  RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .default(7 * 365 + 2),
  // Bodies above this travel to the workflow by claim check instead of inline.
  INLINE_BODY_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1024 * 1024)
    .default(128 * 1024),
  TRUSTED_PROXIES: commaList.default([]),
  // Embedded mode without DATABASE_URL: PGlite in a process of its own (a core of its own), served
  // over a Unix socket (db/embedded/); false keeps it inside the main process, for comparison.
  PGLITE_PROCESS: booleanFlag.default(true),
  // scripts/start (apps/main.ts) on the PGlite process or on DATABASE_URL: the worker in a process
  // of its own, so the HTTP server's event loop only acknowledges and relays (measured: ~20 % less
  // CPU per archived message than sharing one loop); false runs it in the main process (with eager
  // starts).
  WORKER_PROCESS: booleanFlag.default(true),
  // PostgreSQL connections per process (receipts are group-committed over a few of them).
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(500).default(20),
  // Receipts written in one statement, at most (group commit).
  RECEIPT_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(256),
  // Receipt statements in flight at once on PostgreSQL (PGlite: always one). Fewer means bigger
  // batches: at 2 against 5, ~15 % less CPU per ack in the server and ~25 % less in PostgreSQL,
  // and more acks a second under load (docs/performance.md); a new receipt still never waits
  // for a timer, only for a statement already running.
  RECEIPT_WRITES_IN_FLIGHT: z.coerce.number().int().min(1).max(100).default(2),
  // The longest a producer waits on the database for the ack (endpoint lookup, receipt insert):
  // past it, 503 + Retry-After rather than a request hanging while the database is down.
  INGEST_DB_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  // The relay: a new receipt is started at once; the sweep (every RELAY_SWEEP_INTERVAL_MS) starts
  // what was not, RELAY_GRACE_MS after receipt, and re-starts (idempotently) a started receipt not
  // archived RELAY_RECHECK_MS after its start. Failing starts back off up to RELAY_MAX_BACKOFF_MS.
  RELAY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(2000),
  RELAY_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  RELAY_RECHECK_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(5 * 60_000),
  RELAY_MAX_BACKOFF_MS: z.coerce.number().int().min(100).default(60_000),
  RELAY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  // Endpoints cached by the ingest path (apps/server/ingest/endpoint-cache.ts): every change still
  // takes effect at once (the receipt insert checks the endpoint's revision). 0 turns it off.
  ENDPOINT_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).default(10_000),
  ENDPOINT_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  // The bound on acknowledged-but-not-archived messages (503 + Retry-After beyond it).
  BACKLOG_MAX_MESSAGES: z.coerce.number().int().min(1).default(200_000),
  BACKLOG_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(4 * 1024 ** 3),
  BACKLOG_TENANT_MAX_MESSAGES: z.coerce.number().int().min(1).default(100_000),
  BACKLOG_TENANT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(2 * 1024 ** 3),
  // Rate limiting: shared through Redis when REDIS_URL is set, else per process.
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  RATE_LIMIT_MAX_QUEUE_DEPTH: z.coerce.number().int().min(0).default(1000),
  RATE_LIMIT_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  // A Redis call slower than this is decided by the local limiter instead (and Redis skipped for 5 s).
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(50),
  // URL attachments: SSRF guard, size cap and retry budget.
  FETCH_ALLOW_PRIVATE_NETWORKS: booleanFlag.default(false),
  FETCH_ALLOWED_HOSTS: commaList.default([]),
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(2 * 1024 * 1024 * 1024),
  FETCH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  // messages.counts' `stuck`: messages still unarchived (and not failed) this long after receipt.
  STUCK_AFTER_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(5 * 60 * 1000),
  // messages.search: how long the exact total may take before the planner's estimate stands in;
  // unset = SEARCH_COUNT_BUDGET_MS (apps/server/trpc/routers/messages/search.query.ts, 40 ms).
  SEARCH_COUNT_BUDGET_MS: z.coerce.number().int().min(1).max(60_000).optional(),
  // Request bodies (apps/server/http/body-pace.ts): the longest stall, and after a grace the lowest
  // average rate (10 MB may take 5 s + 40 s). Past either: 408, connection closed.
  BODY_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  BODY_GRACE_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  BODY_MIN_BYTES_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .default(256 * 1024),
  // After an early error (401, 404, 413, …) we read and discard at most this much of the rest of
  // the body before closing, so the client can read the answer (apps/server/http/drain.ts).
  DRAIN_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(16 * 1024 * 1024),
  // HMAC endpoints read the body before the signature: concurrent anonymous uploads per source IP.
  UNAUTHENTICATED_UPLOADS_PER_IP: z.coerce.number().int().min(1).default(16),
  // Failed admin-key attempts per source IP (a token bucket): beyond the burst, 429 + Retry-After.
  ADMIN_AUTH_FAILURE_BURST: z.coerce.number().int().min(1).default(20),
  ADMIN_AUTH_FAILURES_PER_MINUTE: z.coerce.number().min(0.1).max(60_000).default(10),
  // Observability: /metrics on the main port needs an admin key or METRICS_TOKEN; METRICS_PORT
  // serves it unauthenticated on its own listener (bind it to a private interface);
  // TEMPORAL_METRICS_PORT is where the Temporal SDK's core exports worker metrics.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().min(1).optional(),
  TEMPORAL_METRICS_PORT: port.optional(),
  // Tracing (lib/tracing): OpenTelemetry spans over OTLP/HTTP, only when an endpoint is set.
  // The standard sampler variables decide at the request span (lib/tracing/otel.ts rootSampler);
  // the SDK reads its other OTEL_* variables (headers, timeout, batch sizes) itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  // Request log (what we answered producers, and why): bounded by age and rows; refused
  // requests are always recorded, accepted ones at this sampling rate (1 = all, 0 = none).
  // Off switches, for measuring their cost (scripts/bench-observability.ts) or for a minimal install.
  REQUEST_LOG_ENABLED: booleanFlag.default(true),
  METRICS_ENABLED: booleanFlag.default(true),
  REQUEST_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  REQUEST_LOG_MAX_ROWS: z.coerce.number().int().min(1000).default(1_000_000),
  REQUEST_LOG_ACCEPTED_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(1),
  REQUEST_LOG_BUFFER: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
  // Evidence (evidence/, ledger/): the Ed25519 key that signs receipts and checkpoints
  // (base64 of a 32-byte seed; default: generated into DATA_DIR/signing-keys.json), and the audit.
  SIGNING_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64 (`openssl rand -base64 32`)')
    .optional(),
  // Where the ack's receipt is signed: 'thread' (a worker thread) or 'inline' (on the HTTP event
  // loop). The thread by default since signing is libsodium's (~21 µs): on the quiet 2-core
  // machine the ack path lost 0.3 % of acks/s to receipts on the thread against 6.7 % inline
  // (scripts/bench-evidence.ts, docs/performance.md). Inline is for a host whose every core
  // already runs a server process (SERVER_PROCESSES = cores), where a thread only competes.
  RECEIPT_SIGNER: z.enum(['thread', 'inline']).default('thread'),
  LEDGER_AUDIT_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(3600),
  LEDGER_AUDIT_SAMPLE: z.coerce.number().int().min(0).default(100),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  // Single sign-on for the web UI (OpenID Connect, authorization code + PKCE). Unset issuer: the
  // UI signs in with an API key instead.
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  // Unset: a public client (PKCE only, token endpoint auth "none").
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_SCOPES: z.string().min(1).default('openid profile email'),
  // The ID token claim (string or array of strings) whose values OIDC_ROLE_MAP maps to roles.
  OIDC_ROLE_CLAIM: z.string().min(1).default('groups'),
  OIDC_ROLE_MAP: roleMap.default([]),
  // The tenant (by name) that signed-in users belong to.
  OIDC_TENANT: z.string().min(1).default('default'),
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(8 * 3600),
});

export type RawEnv = z.input<typeof envSchema>;

export interface Config
  extends Omit<z.output<typeof envSchema>, 'PUBLIC_BASE_URL' | 'WORM_DIR' | 'EXPORT_DIR'> {
  PUBLIC_BASE_URL: string;
  WORM_DIR: string;
  EXPORT_DIR: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment (or a given record, for tests). Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.keys(envSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.OIDC_ISSUER && (!c.OIDC_CLIENT_ID || c.OIDC_ROLE_MAP.length === 0)) {
    throw new ConfigError(
      'invalid configuration:\n  OIDC_ISSUER: needs OIDC_CLIENT_ID and OIDC_ROLE_MAP (claim value=role, comma-separated)',
    );
  }
  const dataDir = path.resolve(c.DATA_DIR);
  return {
    ...c,
    DATA_DIR: dataDir,
    PUBLIC_BASE_URL: (c.PUBLIC_BASE_URL ?? `http://${hostForUrl(c.HOST)}:${c.PORT}`).replace(/\/+$/, ''),
    WORM_DIR: path.resolve(c.WORM_DIR ?? path.join(dataDir, 'worm')),
    EXPORT_DIR: path.resolve(c.EXPORT_DIR ?? path.join(dataDir, 'exports')),
  };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
