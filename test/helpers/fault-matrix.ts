// The fault matrix (issue 11): the production topology — the HTTP server and the worker as
// their own processes (apps/server/main.ts, apps/worker/main.ts), on a PostgreSQL cluster, a
// Temporal dev server (SQLite file) and a SeaweedFS (S3 Object Lock) that this module starts
// itself, so each can be SIGKILLed and restarted. For each component: a paced burst of
// producers, the component killed mid-burst and started again, then the counts — acked,
// archived, doubled, lost — from the messages rows, the WORM manifests' versions and the
// ledger leaves, plus what producers were answered while it was down.
// Used by test/fault-matrix.test.ts (asserts) and scripts/fault-matrix.ts (prints the table).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { eq } from 'drizzle-orm';
import { createTenantWithKey } from '../../apps/server/bootstrap';
import { type Database, openDatabase } from '../../db/client';
import { ingestReceipts, ledgerLeaves, messages } from '../../db/schema';
import { stopChild } from '../../lib/child-process';
import { randomToken } from '../../lib/crypto';
import { type DevServer, serverPid, startDevServer } from '../../lib/temporal/dev-server';
import { manifestKey } from '../../worm/keys';
import { createPgCluster } from './pg-cluster';
import { freePort } from './ports';
import { killAndWait } from './processes';
import { type SeaweedFs, startSeaweedFs } from './seaweedfs';
import { adminClient } from './trpc-client';
import { samplePayload } from './webhooks';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const COMPONENTS = ['server', 'worker', 'temporal', 'postgres', 'seaweedfs'] as const;
export type Component = (typeof COMPONENTS)[number];

/** One child process of ours (server or worker), with the tail of its output for diagnosis. */
class NodeProcess {
  child: ChildProcess | undefined;
  private tail: string[] = [];
  private killing = false;
  constructor(
    readonly name: string,
    private readonly onUnexpectedExit: (what: string) => void,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly readyLine?: RegExp,
  ) {}

  async start(ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: repoRoot,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.killing = false;
    child.once('exit', (code, signal) => {
      if (!this.killing)
        this.onUnexpectedExit(`${this.name} exited (code ${code}, signal ${signal}):\n${this.output()}`);
    });
    let sawReadyLine = !this.readyLine;
    const collect = (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (!line) continue;
        if (this.readyLine?.test(line)) sawReadyLine = true;
        this.tail.push(line);
        if (this.tail.length > 200) this.tail.shift();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} exited during start-up:\n${this.output()}`);
      }
      if (sawReadyLine && (await ready())) return;
      if (Date.now() > deadline)
        throw new Error(`${this.name} not ready in ${timeoutMs} ms:\n${this.output()}`);
      await sleep(100);
    }
  }

  async kill(): Promise<void> {
    this.killing = true;
    if (this.child?.pid) await killAndWait(this.child.pid);
  }

  async stop(): Promise<void> {
    this.killing = true;
    if (this.child) await stopChild(this.child, 5000);
  }

  output(): string {
    return this.tail.slice(-60).join('\n');
  }
}

export interface RigOptions {
  /** Where everything lives (removed by close unless keep). */
  dir?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface Rig {
  baseUrl: string;
  database: Database;
  s3: S3Client;
  bucket: string;
  kill(c: Component): Promise<void>;
  /** Starts the component again and resolves once it is up (answers, or polls). */
  restart(c: Component): Promise<void>;
  newEndpoint(name: string): Promise<{ tenantId: string; endpointId: string; url: string; secret: string }>;
  output(c: 'server' | 'worker'): string;
  /** Our processes that died without being killed (with their last output): must stay empty. */
  exits: string[];
  close(): Promise<void>;
}

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const log = opts.log ?? (() => {});
  const dir = opts.dir ?? mkdtempSync(path.join(repoRoot, '.test-run', 'fault-matrix-'));
  mkdirSync(dir, { recursive: true });
  // Worker processes start in milliseconds from the prebuilt bundle (as scripts/worker does).
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-workflows.ts', '--if-stale'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });

  const [pgPort, temporalPort, s3Port, httpPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // Under /tmp: the postgres user (initdb refuses root) may not reach a checkout's directory.
  const pgDir = mkdtempSync(path.join(tmpdir(), 'fault-pg-'));
  const pg = await createPgCluster({ dir: pgDir, port: pgPort });
  log(`postgres on ${pg.url}`);
  const temporalOpts = {
    port: temporalPort,
    uiPort: 0,
    namespace: 'default',
    headless: true,
    // The SQLite file outlives the process: a restarted dev server still has every workflow.
    dbFile: path.join(dir, 'temporal', 'temporal.sqlite'),
    readyTimeoutMs: 120_000,
  };
  let temporal: DevServer = await startDevServer(temporalOpts);
  log(`temporal on ${temporal.address}`);
  const seaweedDir = path.join(dir, 'seaweedfs');
  let seaweed: SeaweedFs = await startSeaweedFs({ dataDir: seaweedDir, s3Port });
  log(`seaweedfs on ${seaweed.endpoint}`);

  const s3 = new S3Client({
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    forcePathStyle: true,
    credentials: { accessKeyId: seaweed.accessKeyId, secretAccessKey: seaweed.secretAccessKey },
  });
  const bucket = 'fault-matrix';
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));

  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'fault-matrix',
    DATA_DIR: path.join(dir, 'data'),
    MASTER_KEY: randomToken(32),
    SIGNING_KEY: randomBytes(32).toString('base64'),
    S3_BUCKET: bucket,
    S3_ENDPOINT: seaweed.endpoint,
    S3_REGION: seaweed.region,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: seaweed.accessKeyId,
    AWS_SECRET_ACCESS_KEY: seaweed.secretAccessKey,
    AWS_REGION: seaweed.region,
    HOST: '127.0.0.1',
    PORT: String(httpPort),
    PUBLIC_BASE_URL: baseUrl,
    // Re-drive receipts whose start failed (Temporal down) within seconds, not a minute.
    RELAY_SWEEP_INTERVAL_MS: '1000',
    RELAY_GRACE_MS: '2000',
    RELAY_MAX_BACKOFF_MS: '2000',
    LOG_LEVEL: 'warn',
  };
  const exits: string[] = [];
  const onExit = (what: string) => {
    exits.push(what);
    log(what);
  };
  const server = new NodeProcess('server', onExit, 'apps/server/main.ts', env);
  const worker = new NodeProcess(
    'worker',
    onExit,
    'apps/worker/main.ts',
    { ...env, LOG_LEVEL: 'info' },
    /worker running/,
  );
  const serverUp = () =>
    fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
  await server.start(serverUp);
  await worker.start(async () => true);
  const database = openDatabase({ url: pg.url, maxConnections: 4 });

  const rig: Rig = {
    baseUrl,
    database,
    s3,
    bucket,
    exits,
    async kill(c) {
      if (c === 'server') await server.kill();
      else if (c === 'worker') await worker.kill();
      else if (c === 'temporal') await killAndWait(serverPid(temporal.process) ?? -1);
      else if (c === 'seaweedfs') await killAndWait(serverPid(seaweed.process) ?? -1);
      else pg.kill();
    },
    async restart(c) {
      if (c === 'server') await server.start(serverUp);
      else if (c === 'worker') await worker.start(async () => true);
      else if (c === 'temporal') {
        await stopChild(temporal.process, 1000); // the lifeline shell, if it has not exited yet
        temporal = await startDevServer(temporalOpts);
      } else if (c === 'seaweedfs') {
        await seaweed.stop();
        seaweed = await startSeaweedFs({ dataDir: seaweedDir, s3Port });
      } else await pg.start();
    },
    async newEndpoint(name) {
      const { tenantId, adminKey } = await createTenantWithKey(database.db, `${name}-${Date.now()}`, {
        retentionDays: 1,
      });
      const { endpoint, secret } = await adminClient(baseUrl, adminKey).endpoints.create.mutate({
        name,
        authMode: 'bearer',
        // The matrix measures faults, not the rate limiter.
        rateLimitPerSecond: 10_000,
        rateLimitBurst: 10_000,
      });
      return { tenantId, endpointId: endpoint.id, url: endpoint.url, secret: secret! };
    },
    output: (c) => (c === 'server' ? server : worker).output(),
    async close() {
      await worker.stop();
      await server.stop();
      await database.close();
      s3.destroy();
      await seaweed.stop();
      await temporal.stop();
      await pg.stop();
      if (!opts.keep) {
        rmSync(dir, { recursive: true, force: true });
        rmSync(pgDir, { recursive: true, force: true });
      }
    },
  };
  return rig;
}

// ---------------------------------------------------------------------------------------------
// Producers

export type Outcome =
  | { kind: 'status'; status: number; retryAfter: boolean }
  | { kind: 'network' }
  | { kind: 'timeout' };

export interface Attempt {
  externalId: string;
  startedAt: number;
  ms: number;
  outcome: Outcome;
}

export interface BurstOptions {
  url: string;
  secret: string;
  count: number;
  prefix: string;
  /** Sends start at this pace (so the burst spans the fault); default 40/s. */
  ratePerSecond?: number;
  /** An attempt with no answer after this long counts as a hang (default 30 s). */
  attemptTimeoutMs?: number;
  /** Give up on a message after this long (default 180 s). */
  giveUpAfterMs?: number;
}

export interface Burst {
  acked: Set<string>;
  attempts: Attempt[];
  /** Other answers (4xx, 5xx other than 503): the message is not retried. */
  refused: Attempt[];
  ackedAtLeast(n: number): Promise<void>;
  done: Promise<void>;
}

/**
 * Producers as the contract expects them to behave: each message is sent until it gets a 200;
 * a 503 is retried after its Retry-After (capped at 2 s, so the burst fits a test), a
 * connection error after 250 ms. Any other answer is recorded and not retried.
 */
export function startBurst(opts: BurstOptions): Burst {
  const rate = opts.ratePerSecond ?? 40;
  const attemptTimeout = opts.attemptTimeoutMs ?? 30_000;
  const giveUp = opts.giveUpAfterMs ?? 180_000;
  const acked = new Set<string>();
  const attempts: Attempt[] = [];
  const refused: Attempt[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const t0 = Date.now();

  const sendOne = async (i: number) => {
    await sleep(Math.max(0, t0 + (i * 1000) / rate - Date.now()));
    const payload = samplePayload({ external_id: `${opts.prefix}-${i}` });
    const body = JSON.stringify(payload);
    const first = Date.now();
    for (;;) {
      const startedAt = Date.now();
      let outcome: Outcome;
      let retryAfterSeconds = 0;
      try {
        const res = await fetch(opts.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${opts.secret}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(attemptTimeout),
        });
        await res.arrayBuffer();
        const ra = res.headers.get('retry-after');
        retryAfterSeconds = Number(ra ?? 0);
        outcome = { kind: 'status', status: res.status, retryAfter: ra !== null };
      } catch (err) {
        outcome = (err as Error).name === 'TimeoutError' ? { kind: 'timeout' } : { kind: 'network' };
      }
      const attempt: Attempt = {
        externalId: payload.external_id,
        startedAt,
        ms: Date.now() - startedAt,
        outcome,
      };
      attempts.push(attempt);
      if (outcome.kind === 'status' && outcome.status === 200) {
        acked.add(payload.external_id);
        for (const w of waiters.filter((w) => acked.size >= w.n)) w.resolve();
        return;
      }
      if (outcome.kind === 'status' && outcome.status !== 503) {
        refused.push(attempt);
        return;
      }
      if (Date.now() - first > giveUp) return;
      await sleep(outcome.kind === 'status' ? Math.min(2, retryAfterSeconds || 1) * 1000 : 250);
    }
  };

  const done = Promise.all(Array.from({ length: opts.count }, (_, i) => sendOne(i))).then(() => {
    for (const w of waiters) w.resolve();
  });
  return {
    acked,
    attempts,
    refused,
    done,
    ackedAtLeast: (n) =>
      acked.size >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}

// ---------------------------------------------------------------------------------------------
// Counting

export interface Counts {
  acked: number;
  archived: number;
  /** Extra rows, extra manifest versions and extra ledger leaves of an acked message. */
  doubled: number;
  /** Acked messages without an archived row, a manifest or a leaf. */
  lost: number;
  /** Receipts not in state `archived`. */
  receiptsOpen: number;
}

export async function countOutcome(
  rig: Rig,
  ep: { tenantId: string; endpointId: string },
  ackedExternalIds: Set<string>,
): Promise<Counts> {
  const { db } = rig.database;
  const rows = await db
    .select({ id: messages.id, externalId: messages.externalId, status: messages.status })
    .from(messages)
    .where(eq(messages.endpointId, ep.endpointId));
  const leaves = await db
    .select({ messageId: ledgerLeaves.messageId })
    .from(ledgerLeaves)
    .where(eq(ledgerLeaves.tenantId, ep.tenantId));
  const receipts = await db
    .select({ state: ingestReceipts.state })
    .from(ingestReceipts)
    .where(eq(ingestReceipts.endpointId, ep.endpointId));
  const manifestVersions = await countVersions(rig, `tenants/${ep.tenantId}/messages/`);

  let doubled = 0;
  let lost = 0;
  let archived = 0;
  const leafCount = tally(leaves.map((l) => l.messageId));
  const rowsByExternal = new Map<string, typeof rows>();
  for (const r of rows) rowsByExternal.set(r.externalId, [...(rowsByExternal.get(r.externalId) ?? []), r]);
  for (const externalId of ackedExternalIds) {
    const mine = rowsByExternal.get(externalId) ?? [];
    const row = mine.find((r) => r.status === 'archived');
    doubled += Math.max(0, mine.length - 1);
    if (!row) {
      lost++;
      continue;
    }
    const versions = manifestVersions.get(manifestKey(ep.tenantId, row.id)) ?? 0;
    const leafN = leafCount.get(row.id) ?? 0;
    doubled += Math.max(0, versions - 1) + Math.max(0, leafN - 1);
    if (versions === 0 || leafN === 0) lost++;
    else archived++;
  }
  return {
    acked: ackedExternalIds.size,
    archived,
    doubled,
    lost,
    receiptsOpen: receipts.filter((r) => r.state !== 'archived').length,
  };
}

/** Object versions per key under a prefix (a second version of a manifest would be a double seal). */
async function countVersions(rig: Rig, prefix: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const res = await rig.s3.send(
      new ListObjectVersionsCommand({
        Bucket: rig.bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
      }),
    );
    for (const v of res.Versions ?? []) if (v.Key) counts.set(v.Key, (counts.get(v.Key) ?? 0) + 1);
    if (!res.IsTruncated) return counts;
    keyMarker = res.NextKeyMarker;
    versionMarker = res.NextVersionIdMarker;
  }
}

function tally(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

// ---------------------------------------------------------------------------------------------
// One row of the matrix

export interface FaultRow extends Counts {
  component: Component | 'none';
  /** What producers were answered by attempts started while the component was down. */
  duringFault: { ok: number; unavailable: number; network: number; other: number; timeouts: number };
  /** 503s without Retry-After (must be none). */
  unavailableWithoutRetryAfter: number;
  maxAnswerMsDuringFault: number;
  /** Kill to the component being up again. */
  downMs: number;
  /** Component up again to every acked message archived (and in the ledger). */
  recoveryMs: number;
  /** Archived per second after the component came back (for `none`: over the whole burst). */
  archivedPerSecondAfter: number;
  refused: Attempt[];
  /** Every attempt, startedAt relative to the kill (for a closer look: scripts/fault-matrix.ts --dump). */
  attempts: Attempt[];
}

export interface FaultOptions {
  count?: number;
  /** Kill once this many messages are acked (default a quarter of the burst). */
  killAfterAcks?: number;
  /** How long the component stays dead before it is started again (default 3 s). */
  downForMs?: number;
  /** Bound on reaching all-archived after the restart (default 150 s). */
  archiveTimeoutMs?: number;
  ratePerSecond?: number;
}

export async function runFault(
  rig: Rig,
  component: Component | 'none',
  opts: FaultOptions = {},
): Promise<FaultRow> {
  const count = opts.count ?? 200;
  const ep = await rig.newEndpoint(`fault-${component}`);
  const sentAt = Date.now();
  const burst = startBurst({
    url: ep.url,
    secret: ep.secret,
    count,
    prefix: component,
    ...(opts.ratePerSecond ? { ratePerSecond: opts.ratePerSecond } : {}),
  });
  let killedAt = sentAt;
  let upAt = sentAt;
  if (component !== 'none') {
    await burst.ackedAtLeast(opts.killAfterAcks ?? Math.floor(count / 4));
    killedAt = Date.now();
    await rig.kill(component);
    await sleep(opts.downForMs ?? 3000);
    await rig.restart(component);
    upAt = Date.now();
  }
  // Progress is measured on the database of record (a poll fails while that is what is down).
  const archivedSoFar = async () => (await countOutcome(rig, ep, burst.acked)).archived;
  const archivedAtUp = component === 'none' ? 0 : await archivedSoFar().catch(() => 0);
  await burst.done;

  const deadline = Date.now() + (opts.archiveTimeoutMs ?? 150_000);
  let allArchivedAt = Date.now();
  for (;;) {
    const n = await archivedSoFar().catch(() => -1);
    if (n >= burst.acked.size) {
      allArchivedAt = Date.now();
      break;
    }
    if (Date.now() > deadline) break;
    await sleep(250);
  }
  const counts = await countOutcome(rig, ep, burst.acked);

  const during = burst.attempts.filter(
    (a) => component !== 'none' && a.startedAt >= killedAt && a.startedAt <= upAt,
  );
  const is = (a: Attempt, status: number) => a.outcome.kind === 'status' && a.outcome.status === status;
  const since = component === 'none' ? sentAt : upAt;
  return {
    component,
    ...counts,
    duringFault: {
      ok: during.filter((a) => is(a, 200)).length,
      unavailable: during.filter((a) => is(a, 503)).length,
      network: during.filter((a) => a.outcome.kind === 'network').length,
      timeouts: during.filter((a) => a.outcome.kind === 'timeout').length,
      other: during.filter(
        (a) => a.outcome.kind === 'status' && a.outcome.status !== 200 && a.outcome.status !== 503,
      ).length,
    },
    unavailableWithoutRetryAfter: burst.attempts.filter(
      (a) => a.outcome.kind === 'status' && a.outcome.status === 503 && !a.outcome.retryAfter,
    ).length,
    maxAnswerMsDuringFault: Math.max(0, ...during.map((a) => a.ms)),
    downMs: upAt - killedAt,
    recoveryMs: Math.max(0, allArchivedAt - upAt),
    archivedPerSecondAfter:
      (counts.archived - archivedAtUp) / Math.max(0.001, (allArchivedAt - since) / 1000),
    refused: burst.refused,
    attempts: burst.attempts.map((a) => ({ ...a, startedAt: a.startedAt - killedAt })),
  };
}

export function formatTable(rows: FaultRow[]): string {
  const header =
    '| component killed | acked | archived | doubled | lost | answers while down (200 / 503 / conn. refused / other) | max answer while down | down for | all archived after restart | archived/s after restart |';
  const sep = `|${header
    .split('|')
    .slice(1, -1)
    .map(() => '---')
    .join('|')}|`;
  const lines = rows.map((r) => {
    const d = r.duringFault;
    const answers =
      r.component === 'none' ? '—' : `${d.ok} / ${d.unavailable} / ${d.network} / ${d.other + d.timeouts}`;
    const ms = (x: number) => (r.component === 'none' ? '—' : `${(x / 1000).toFixed(1)} s`);
    return `| ${r.component} | ${r.acked} | ${r.archived} | ${r.doubled} | ${r.lost} | ${answers} | ${r.component === 'none' ? '—' : `${r.maxAnswerMsDuringFault} ms`} | ${ms(r.downMs)} | ${(r.recoveryMs / 1000).toFixed(1)} s | ${r.archivedPerSecondAfter.toFixed(1)} |`;
  });
  return [header, sep, ...lines].join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
