// The cost of observability on ack throughput, per component, in one run. Two systems:
// - the ack path alone: the compiled server process (dist/app/server.js) on the machine's
//   PostgreSQL, its Temporal elsewhere (unreachable), as a production server instance runs it;
// - the whole stack: the compiled embedded entry (dist/app/main.js, as scripts/start runs it:
//   HTTP, relay, worker and Temporal's dev server on one machine, PGlite), where the worker's
//   spans share the CPU with the ack.
// Each is measured with everything off, the request log alone, metrics alone, tracing alone
// (exported over OTLP/HTTP to a local receiver that accepts and discards), and all three;
// the variants alternate within each round so drift on a shared machine hits all alike.
// HMAC-signed 1 KB messages, closed loop, after a warm-up.
//
//   node --import tsx scripts/bench-observability.ts [--stack ack|whole|both] [--rounds 2]
//        [--ack-messages 20000] [--whole-messages 1500] [--concurrency 32] [--endpoints 10]
//        [--variants off,log,metrics,tracing,all]
// The sampler is the default (see lib/tracing); pass OTEL_TRACES_SAMPLER(_ARG) to measure another.
import { parseArgs } from 'node:util';
import { buildWorkflowBundle, defaultTracedBundlePath } from '../apps/worker/worker';
import { startOtlpReceiver } from '../test/helpers/otlp-receiver';
import { type LoadResult, runLoad } from './bench/load';
import { hmacRequests, type SystemOptions, startSystem } from './bench/system';
import { buildApp } from './build-app';

const { values: args } = parseArgs({
  options: {
    stack: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '2' },
    'ack-messages': { type: 'string', default: '20000' },
    'whole-messages': { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '32' },
    endpoints: { type: 'string', default: '10' },
    variants: { type: 'string', default: 'off,log,metrics,tracing,all' },
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
}
const stacks: Stack[] = [];
if (args.stack !== 'whole')
  stacks.push({
    name: 'ack path alone (server process, PostgreSQL)',
    system: { database: 'postgres', topology: 'server-only', compiled: true },
    messages: Number(args['ack-messages']),
  });
if (args.stack !== 'ack')
  stacks.push({
    name: 'whole stack, one process (embedded)',
    system: { database: 'embedded', topology: 'all-in-one', compiled: true },
    messages: Number(args['whole-messages']),
  });

// The compiled entries, and the traced workflow bundle tracing needs, built before anything is timed.
await buildApp();
await buildWorkflowBundle(defaultTracedBundlePath, { traced: true });
const sink = await startOtlpReceiver({ keep: false });
// Tracing is on only where a variant says so.
delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;

/** One measurement: the closed-loop result, and the system process's CPU per ack meanwhile. */
type Result = LoadResult & { cpuMs: number };

async function measure(stack: Stack, variant: VariantName, round: number): Promise<Result> {
  const v = VARIANTS[variant];
  const system = await startSystem({
    ...stack.system,
    env: {
      REQUEST_LOG_ENABLED: String(v.log),
      METRICS_ENABLED: String(v.metrics),
      ...(v.tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {}),
    },
  });
  try {
    const endpoints = await system.createEndpoints(endpointCount);
    const warm = Math.min(2000, Math.max(300, Math.round(stack.messages / 5)));
    await runLoad(system.origin, hmacRequests(`warm${round}`, warm, endpoints), concurrency);
    const cpu0 = (await system.cpu()).system;
    const load = await runLoad(
      system.origin,
      hmacRequests(`r${round}`, stack.messages, endpoints),
      concurrency,
    );
    const r = { ...load, cpuMs: (((await system.cpu()).system - cpu0) * 1000) / stack.messages };
    console.log(
      `  round ${round} ${LABEL[variant].padEnd(32)} ${r.perSecond.toFixed(0).padStart(6)} acks/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  CPU ${r.cpuMs.toFixed(2)} ms/ack  ${JSON.stringify(r.statuses)}`,
    );
    return r;
  } finally {
    await system.stop();
  }
}

const summary: string[] = [];
for (const stack of stacks) {
  console.log(
    `# ${stack.name}: ${stack.messages} HMAC 1 KB messages per measurement, concurrency ${concurrency}, ${rounds} rounds`,
  );
  const results = new Map<VariantName, Result[]>(variants.map((v) => [v, []]));
  const exportsBefore = sink.requests;
  for (let round = 1; round <= rounds; round++)
    for (const v of variants) results.get(v)!.push(await measure(stack, v, round));
  const mean = (v: VariantName, k: 'perSecond' | 'p50' | 'p99' | 'cpuMs') => {
    const rs = results.get(v)!;
    return rs.reduce((a, r) => a + r[k], 0) / rs.length;
  };
  summary.push(`${stack.name} (the OTLP sink received ${sink.requests - exportsBefore} export requests):`);
  for (const v of variants) {
    const pct = (k: 'perSecond' | 'cpuMs') => ((mean(v, k) / mean('off', k) - 1) * 100).toFixed(1);
    const cost = v === 'off' ? '(baseline)' : `throughput ${pct('perSecond')}%, CPU per ack ${pct('cpuMs')}%`;
    summary.push(
      `  ${LABEL[v].padEnd(32)} ${mean(v, 'perSecond').toFixed(0).padStart(6)} acks/s  p50 ${mean(v, 'p50').toFixed(1)} ms  p99 ${mean(v, 'p99').toFixed(1)} ms  CPU ${mean(v, 'cpuMs').toFixed(2)} ms/ack  ${cost}`,
    );
  }
}
await sink.close();
console.log('');
console.log(summary.join('\n'));
