// The one place environment variables are read. Every setting has an embedded-mode default;
// a wrong value fails start-up with a message naming the variable.
import path from 'node:path';
import { z } from 'zod';

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

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
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
  MASTER_KEY: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{43}$/,
      'must be 32 bytes, base64url (43 characters); generate one with `openssl rand -base64 32 | tr "+/" "-_" | tr -d =`',
    )
    .optional(),
  WORM_DIR: z.string().min(1).optional(),
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
  // Evidence (evidence/, ledger/): the Ed25519 key that signs receipts and checkpoints
  // (base64 of a 32-byte seed; default: generated into DATA_DIR/signing-keys.json), and the audit.
  SIGNING_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64 (`openssl rand -base64 32`)')
    .optional(),
  LEDGER_AUDIT_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(3600),
  LEDGER_AUDIT_SAMPLE: z.coerce.number().int().min(0).default(100),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
});

export type RawEnv = z.input<typeof envSchema>;

export interface Config extends Omit<z.output<typeof envSchema>, 'PUBLIC_BASE_URL' | 'WORM_DIR'> {
  PUBLIC_BASE_URL: string;
  WORM_DIR: string;
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
  const dataDir = path.resolve(c.DATA_DIR);
  return {
    ...c,
    DATA_DIR: dataDir,
    PUBLIC_BASE_URL: (c.PUBLIC_BASE_URL ?? `http://${hostForUrl(c.HOST)}:${c.PORT}`).replace(/\/+$/, ''),
    WORM_DIR: path.resolve(c.WORM_DIR ?? path.join(dataDir, 'worm')),
  };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
