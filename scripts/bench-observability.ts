// The cost of observability on ack throughput, per component, in one run. Two systems:
// - the ack path alone: the compiled server process (dist/app/server.js) on the machine's
//   PostgreSQL, its Temporal elsewhere (unreachable), as a production server instance runs it;
// - the whole stack: the compiled embedded entry (dist/app/main.js, as scripts/start runs it:
//   HTTP, relay, worker and Temporal's dev server on one machine, PGlite), where the worker's
//   spans share the CPU with the ack.
// Each is measured with everything off, the request log alone, metrics alone, tracing alone
// (exported over OTLP/HTTP to a local receiver that accepts and discards), and all three;
// the variants alternate within each round, in an order that rotates, so drift on a machine
// hits all alike, and the
// summary is each variant's median round. On the ack path every variant's server is started
// once and stays up (rounds run on warm processes); the whole stack, which keeps archiving
// what it acked, runs one variant at a time. HMAC-signed 1 KB messages, closed loop, warmed up.
//
//   node --import tsx scripts/bench-observability.ts [--stack ack|whole|both] [--rounds 5]
//        [--ack-messages 15000] [--whole-messages 1500] [--concurrency 64] [--endpoints 20]
//        [--variants off,log,metrics,tracing,all] [--skip-profile]
// The sampler is the default (see lib/tracing); pass OTEL_TRACES_SAMPLER(_ARG) to measure another.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildWorkflowBundle, defaultTracedBundlePath } from '../apps/worker/worker';
import { startOtlpReceiver } from '../test/helpers/otlp-receiver';
import { type LoadResult, runLoad } from './bench/load';
import { type CpuProfile, OBSERVABILITY_CODE, profileShares } from './bench/profile';
import { median } from './bench/stats';
import { hmacRequests, type SystemOptions, startSystem, UNBINDING_RATE_LIMIT } from './bench/system';
import { buildApp } from './build-app';

const { values: args } = parseArgs({
  options: {
    stack: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '5' },
    'ack-messages': { type: 'string', default: '15000' },
    'whole-messages': { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '64' },
    endpoints: { type: 'string', default: '20' },
    variants: { type: 'string', default: 'off,log,metrics,tracing,all' },
    // Unless skipped, the ack path is also profiled with all three on (--cpu-prof) for the share
    // of the server's CPU spent under observability code: a within-run ratio noise cannot move.
    'skip-profile': { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const concurrency = Number(args.concurrency);
const endpointCount = Number(args.endpoints);

const VARIANTS = {
  off: { log: false, metrics: false, tracing: false },
  log: { log: true, metrics: false, tracing: false },
  metrics: { log: false, metrics: true, tracing: false },
  tracing: { log: false, metrics: false, tracing: true },
  all: { log: true, metrics: true, tracing: true },
} as const;
type VariantName = keyof typeof VARIANTS;
const LABEL: Record<VariantName, string> = {
  off: 'all off',
  log: 'request log only',
  metrics: 'metrics only',
  tracing: 'tracing only',
  all: 'request log + metrics + tracing',
};
const variants = args.variants.split(',').map((v) => {
  if (!(v in VARIANTS)) throw new Error(`unknown variant ${v} (off, log, metrics, tracing, all)`);
  return v as VariantName;
});
if (!variants.includes('off')) variants.unshift('off');

interface Stack {
  name: string;
  system: SystemOptions;
  messages: number;
  /** Start each variant once and interleave rounds on the warm processes (ack path only). */
  keepRunning: boolean;
}
const stacks: Stack[] = [];
if (args.stack !== 'whole')
  stacks.push({
    name: 'ack path alone (server process, PostgreSQL)',
    system: { database: 'postgres', topology: 'server-only', compiled: true },
    messages: Number(args['ack-messages']),
    keepRunning: true,
  });
if (args.stack !== 'ack')
  stacks.push({
    name: 'whole stack, one process (embedded)',
    system: { database: 'embedded', topology: 'all-in-one', compiled: true },
    messages: Number(args['whole-messages']),
    keepRunning: false,
  });

// The compiled entries, and the traced workflow bundle tracing needs, built before anything is timed.
await buildApp();
await buildWorkflowBundle(defaultTracedBundlePath, { traced: true });
const sink = await startOtlpReceiver({ keep: false });
// Tracing is on only where a variant says so.
delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;

/** One measurement: the closed-loop result, and the CPU per ack meanwhile of the system's
 * processes and of its PostgreSQL backends (where the request log's rows are written). */
type Result = LoadResult & { cpuMs: number; pgMs: number };

/** A variant's system, started with its settings and warmed up (JIT, pools, caches). */
async function startVariant(stack: Stack, variant: VariantName, round: number) {
  const v = VARIANTS[variant];
  const system = await startSystem({
    ...stack.system,
    env: {
      // Five servers stay up at once on the ack path: 15 connections each stays under
      // PostgreSQL's default max_connections (100) with room for the benchmark's own.
      ...(stack.keepRunning ? { DATABASE_POOL_MAX: '15' } : {}),
      REQUEST_LOG_ENABLED: String(v.log),
      METRICS_ENABLED: String(v.metrics),
      ...(v.tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {}),
    },
  });
  const endpoints = await system.createEndpoints(endpointCount, UNBINDING_RATE_LIMIT);
  const warm = Math.min(2000, Math.max(300, Math.round(stack.messages / 5)));
  await runLoad(system.origin, hmacRequests(`warm${round}`, warm, endpoints), concurrency);
  return { system, endpoints };
}

async function measure(
  stack: Stack,
  variant: VariantName,
  round: number,
  { system, endpoints }: Awaited<ReturnType<typeof startVariant>>,
): Promise<Result> {
  const cpu0 = await system.cpu();
  const load = await runLoad(
    system.origin,
    hmacRequests(`r${round}`, stack.messages, endpoints),
    concurrency,
  );
  const cpu1 = await system.cpu();
  const r = {
    ...load,
    cpuMs: ((cpu1.system - cpu0.system) * 1000) / stack.messages,
    pgMs: ((cpu1.postgres - cpu0.postgres) * 1000) / stack.messages,
  };
  console.log(
    `  round ${round} ${LABEL[variant].padEnd(32)} ${r.perSecond.toFixed(0).padStart(6)} acks/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  CPU ${r.cpuMs.toFixed(2)} ms/ack (PostgreSQL ${r.pgMs.toFixed(2)})  ${JSON.stringify(r.statuses)}`,
  );
  return r;
}

const rotated = <T>(xs: T[], by: number) => xs.map((_, i) => xs[(i + by) % xs.length]!);

const summary: string[] = [];
for (const stack of stacks) {
  console.log(
    `# ${stack.name}: ${stack.messages} HMAC 1 KB messages per measurement, concurrency ${concurrency}, ${rounds} rounds`,
  );
  const results = new Map<VariantName, Result[]>(variants.map((v) => [v, []]));
  const exportsBefore = sink.requests;
  if (stack.keepRunning) {
    // Every variant's server started once and warmed, then measured in turn, round after round:
    // a fresh process and database per measurement varied more between runs of one variant
    // (±15 %) than the hooks cost. Idle between its turns, a variant only runs its timers.
    const running = new Map<VariantName, Awaited<ReturnType<typeof startVariant>>>();
    try {
      for (const v of variants) running.set(v, await startVariant(stack, v, 0));
      // The order rotates each round: whichever variant runs right after another's burst meets
      // PostgreSQL still writing that burst out (WAL, checkpoints), and none should always be it.
      for (let round = 1; round <= rounds; round++)
        for (const v of rotated(variants, round - 1))
          results.get(v)!.push(await measure(stack, v, round, running.get(v)!));
    } finally {
      await Promise.all([...running.values()].map((r) => r.system.stop()));
    }
  } else {
    // The whole stack archives what it acked in the background: one variant alive at a time.
    for (let round = 1; round <= rounds; round++)
      for (const v of rotated(variants, round - 1)) {
        const started = await startVariant(stack, v, round);
        try {
          results.get(v)!.push(await measure(stack, v, round, started));
        } finally {
          await started.system.stop();
        }
      }
  }
  // The median of the rounds: one disturbed round (a PostgreSQL checkpoint, autovacuum) moves a mean.
  const mid = (v: VariantName, k: 'perSecond' | 'p50' | 'p99' | 'cpuMs' | 'pgMs') =>
    median(results.get(v)!.map((r) => r[k]));
  summary.push(`${stack.name} (the OTLP sink received ${sink.requests - exportsBefore} export requests):`);
  for (const v of variants) {
    const pct = (k: 'perSecond' | 'cpuMs' | 'pgMs') => ((mid(v, k) / mid('off', k) - 1) * 100).toFixed(1);
    const cost =
      v === 'off'
        ? '(baseline)'
        : `throughput ${pct('perSecond')}%, CPU per ack ${pct('cpuMs')}%, PostgreSQL's ${pct('pgMs')}%`;
    summary.push(
      `  ${LABEL[v].padEnd(32)} ${mid(v, 'perSecond').toFixed(0).padStart(6)} acks/s  p50 ${mid(v, 'p50').toFixed(1)} ms  p99 ${mid(v, 'p99').toFixed(1)} ms  CPU ${mid(v, 'cpuMs').toFixed(2)} ms/ack (PostgreSQL ${mid(v, 'pgMs').toFixed(2)})  ${cost}`,
    );
  }
}
if (!args['skip-profile'] && args.stack !== 'whole') summary.push(await profileShare());
await sink.close();
console.log('');
console.log(summary.join('\n'));

/**
 * The ack path with all three on, under --cpu-prof (the tsx entry, so frames keep their source
 * files): the share of the server's samples with an observability frame anywhere on the stack
 * (inclusive: JSON, hashing, sockets they cause count as theirs). The request log's row insert
 * runs in PostgreSQL and is not in it.
 */
async function profileShare(): Promise<string> {
  // BENCH_PROFILE_DIR keeps the profile (open it in Chrome DevTools or speedscope).
  const keep = process.env.BENCH_PROFILE_DIR;
  const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'wa-obs-prof-'));
  const system = await startSystem({
    database: 'postgres',
    topology: 'server-only',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url },
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  try {
    const endpoints = await system.createEndpoints(endpointCount, UNBINDING_RATE_LIMIT);
    await runLoad(system.origin, hmacRequests('pwarm', 2000, endpoints), concurrency);
    await runLoad(system.origin, hmacRequests('prof', Number(args['ack-messages']), endpoints), concurrency);
  } finally {
    await system.stop(); // SIGTERM: the profile is written on exit
  }
  // The main thread's profile (the signing thread and others write their own, numbered after it).
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()[0];
  if (!file) return 'profile: no .cpuprofile written';
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  if (!keep) rmSync(dir, { recursive: true, force: true });
  const shares = profileShares(profile, OBSERVABILITY_CODE);
  const parts = Object.entries(shares.byPart)
    .map(([k, v]) => `${k} ${((100 * v) / shares.busy).toFixed(1)}%`)
    .join(', ');
  return `profile of the ack path, all three on (${shares.busy} busy samples): observability ${((100 * shares.observed) / shares.busy).toFixed(1)}% of the server's busy CPU (${parts})`;
}
