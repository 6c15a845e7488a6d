// The ack benchmark (issue 9): HMAC-signed 1 KB messages over 20 endpoints at concurrency 64,
// against the bare read+HMAC server of the same run, then paced at a fixed offered rate for the
// latency percentiles. By default, on PostgreSQL, the ack path alone (the server process, its
// Temporal elsewhere: topology server-only) with the endpoint cache on and off, then the whole
// stack as scripts/start runs it (the worker in a process of its own) and in one process; on the
// embedded default, the ack path alone on the PGlite process, and the whole stack as scripts/start
// runs it (PGlite and the worker in processes of their own), with the
// worker in the main process, and with both in it.
//
//   node --import tsx scripts/bench-ack.ts [--database postgres|embedded] [--messages 20000]
//        [--concurrency 64] [--endpoints 20] [--rate 1000] [--paced-seconds 10] [--only TEXT]
// Each closed-loop run also reports the CPU it cost per ack (the system, its PostgreSQL backends,
// the load generator), which stays meaningful when other work shares the machine.
import { parseArgs } from 'node:util';
import { type LoadResult, runLoad, runPaced } from './bench/load';
import {
  type CpuReading,
  hmacRequests,
  type SystemOptions,
  startBaseline,
  startSystem,
  UNBINDING_RATE_LIMIT,
} from './bench/system';

const { values: args } = parseArgs({
  options: {
    database: { type: 'string', default: 'postgres' },
    messages: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    endpoints: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1000' },
    'paced-seconds': { type: 'string', default: '10' },
    // Only the variants whose name contains this text (e.g. --only 'alone (server'), for profiling.
    only: { type: 'string' },
  },
});
const database = args.database === 'embedded' ? 'embedded' : 'postgres';
const total = Number(args.messages);
const concurrency = Number(args.concurrency);
const endpointCount = Number(args.endpoints);
const rate = Number(args.rate);
const pacedCount = Math.round(rate * Number(args['paced-seconds']));

function line(name: string, r: LoadResult, extra = '') {
  console.log(
    `${name.padEnd(44)} ${r.perSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1).padStart(7)} ms  p99 ${r.p99
      .toFixed(1)
      .padStart(7)} ms  ${JSON.stringify(r.statuses)}${extra}`,
  );
}

const redis = { REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' };

interface Variant {
  name: string;
  system: SystemOptions;
}
const allVariants: Variant[] =
  database === 'postgres'
    ? [
        { name: 'ack path alone (server process)', system: { database, topology: 'server-only' } },
        {
          name: 'ack path alone, endpoint cache off',
          system: { database, topology: 'server-only', env: { ENDPOINT_CACHE_MAX_ENTRIES: '0' } },
        },
        // The fair baseline for the cluster: the same shared (Redis) rate limit, one process.
        {
          name: 'ack path alone, Redis rate limit',
          system: { database, topology: 'server-only', env: redis },
        },
        {
          name: 'ack path alone, 2 processes (SERVER_PROCESSES=2)',
          system: { database, topology: 'server-only', env: { ...redis, SERVER_PROCESSES: '2' } },
        },
        {
          name: 'whole stack, worker in its own process (default)',
          system: { database, topology: 'all-in-one' },
        },
        {
          name: 'whole stack, one process (WORKER_PROCESS=false)',
          system: { database, topology: 'all-in-one', env: { WORKER_PROCESS: 'false' } },
        },
      ]
    : [
        {
          name: 'ack path alone (server process, PGlite process)',
          system: { database, topology: 'server-only' },
        },
        {
          name: 'whole stack, PGlite and worker in processes of their own',
          system: { database, topology: 'all-in-one' },
        },
        {
          name: 'whole stack, worker in the main process',
          system: { database, topology: 'all-in-one', env: { WORKER_PROCESS: 'false' } },
        },
        {
          name: 'whole stack, PGlite and worker in the main process',
          system: { database, topology: 'all-in-one', env: { PGLITE_PROCESS: 'false' } },
        },
      ];

const variants = allVariants.filter((v) => !args.only || v.name.includes(args.only));
console.log(
  `# ack: ${total} HMAC 1 KB messages, concurrency ${concurrency}, ${endpointCount} endpoints; then ${pacedCount} paced at ${rate}/s; database ${database}`,
);
const results: { name: string; closed: LoadResult; paced: LoadResult; cpu: CpuReading }[] = [];
let base: LoadResult | undefined;
for (const v of variants) {
  process.stdout.write(`# ${v.name}: starting...\n`);
  const system = await startSystem(v.system);
  try {
    const endpoints = await system.createEndpoints(endpointCount, UNBINDING_RATE_LIMIT);
    if (!base) {
      // The baseline runs once, between the first system's start and its load, same machine state.
      const baseline = await startBaseline(endpoints[0]!.secret);
      const one = [endpoints[0]!].map((e) => ({ ...e, url: `${baseline.origin}/x` }));
      await runLoad(baseline.origin, hmacRequests('warm', 2000, one), concurrency);
      base = await runLoad(baseline.origin, hmacRequests('base', total, one), concurrency);
      await baseline.stop();
    }
    await runLoad(system.origin, hmacRequests('warm', 2000, endpoints), concurrency);
    const before = await system.cpu();
    const closed = await runLoad(system.origin, hmacRequests('closed', total, endpoints), concurrency);
    const after = await system.cpu();
    const cpu: CpuReading = {
      system: after.system - before.system,
      postgres: after.postgres - before.postgres,
      load: after.load - before.load,
    };
    await new Promise((r) => setTimeout(r, 2000));
    // One second of the same pace first, not measured (see runPaced).
    const paced = await runPaced(system.origin, hmacRequests('paced', pacedCount, endpoints), rate, {
      warmup: hmacRequests('paced-warm', rate, endpoints),
    });
    results.push({ name: v.name, closed, paced, cpu });
  } finally {
    await system.stop();
  }
}

console.log('');
line('baseline: bare read + HMAC server', base!);
for (const r of results) {
  const us = (seconds: number) => ((seconds * 1e6) / total).toFixed(0);
  line(r.name, r.closed, `  (${((100 * r.closed.perSecond) / base!.perSecond).toFixed(1)}% of baseline)`);
  console.log(
    `  ...CPU per ack: system ${us(r.cpu.system)} µs, PostgreSQL ${us(r.cpu.postgres)} µs, load generator ${us(r.cpu.load)} µs`,
  );
  line(`  ...paced at ${rate}/s offered`, r.paced);
}
