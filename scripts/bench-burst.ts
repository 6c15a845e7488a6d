// Two producer scenarios against the whole stack (scripts/start's arrangement; `--database
// postgres` for a fresh PostgreSQL database instead of PGlite), counted end to end:
// - burst: 5,000 HMAC 1 KB messages from 50 producers as fast as they go (closed loop);
// - sustained: one endpoint paced at 100/s for 60 s (the contract's soft limit).
// Prints the answers, ack p50/p99, time until every acknowledged message is archived, the
// largest backlog seen, and lost / doubled (each archived message must have exactly one leaf in
// the tenant's transparency log).
//
//   node --import tsx scripts/bench-burst.ts [--scenario burst|sustained|both] [--database embedded|postgres]
//        [--messages 5000] [--producers 50] [--rate 100] [--seconds 60]
import { parseArgs } from 'node:util';
import { type LoadResult, runLoad, runPaced } from './bench/load';
import { hmacRequests, type System, startSystem } from './bench/system';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'both' },
    database: { type: 'string', default: 'embedded' },
    messages: { type: 'string', default: '5000' },
    producers: { type: 'string', default: '50' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '60' },
  },
});
const database = args.database === 'postgres' ? 'postgres' : 'embedded';

interface Outcome {
  scenario: string;
  load: LoadResult;
  archivedAfterSeconds: number;
  maxBacklog: number;
  archived: number;
  leaves: number;
  failed: number;
}

async function counts(system: System) {
  const c = await system.api.messages.counts.query({});
  return { archived: c.archived, failed: c.failed, backlog: c.backlog.messages };
}

/** Runs the load while sampling the backlog, then waits until all acknowledged are archived. */
async function measure(system: System, scenario: string, run: () => Promise<LoadResult>): Promise<Outcome> {
  const before = await counts(system);
  const leavesBefore = (await system.api.ledger.status.query()).tree_size;
  let maxBacklog = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxBacklog = Math.max(maxBacklog, (await counts(system)).backlog);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const t0 = performance.now();
  const load = await run();
  let now = before;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    now = await counts(system);
    maxBacklog = Math.max(maxBacklog, now.backlog);
    if (now.archived - before.archived >= load.ok || now.failed > before.failed || Date.now() > deadline)
      break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const archivedAfterSeconds = (performance.now() - t0) / 1000;
  sampling = false;
  await sampler;
  // The log's leaves are appended by the workflow's last step; give it a moment to settle.
  let leaves = 0;
  for (let i = 0; i < 120; i++) {
    leaves = (await system.api.ledger.status.query()).tree_size - leavesBefore;
    if (leaves >= now.archived - before.archived) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    scenario,
    load,
    archivedAfterSeconds,
    maxBacklog,
    archived: now.archived - before.archived,
    leaves,
    failed: now.failed - before.failed,
  };
}

const outcomes: Outcome[] = [];
const system = await startSystem({ database, topology: 'all-in-one' });
try {
  const endpoints = await system.createEndpoints(args.scenario === 'sustained' ? 1 : 20);
  if (args.scenario !== 'sustained') {
    const total = Number(args.messages);
    console.log(
      `# burst: ${total} messages from ${args.producers} producers, ${endpoints.length} endpoints, ${database}`,
    );
    outcomes.push(
      await measure(system, 'burst', () =>
        runLoad(system.origin, hmacRequests('burst', total, endpoints), Number(args.producers)),
      ),
    );
  }
  if (args.scenario !== 'burst') {
    const rate = Number(args.rate);
    const count = rate * Number(args.seconds);
    console.log(
      `# sustained: one endpoint at ${rate}/s for ${args.seconds} s (${count} messages), ${database}`,
    );
    outcomes.push(
      await measure(system, 'sustained', () =>
        runPaced(system.origin, hmacRequests('sustained', count, [endpoints[0]!]), rate),
      ),
    );
  }
} finally {
  await system.stop();
}

console.log('');
console.log(
  'scenario   sent  answers                  acks/s   p50 ms   p99 ms  all archived after  max backlog  archived  lost  doubled',
);
for (const o of outcomes) {
  const lost = o.load.ok - o.archived;
  const doubled = o.leaves - o.archived;
  console.log(
    `${o.scenario.padEnd(9)} ${String(o.load.sent).padStart(5)}  ${JSON.stringify(o.load.statuses).padEnd(22)} ${o.load.perSecond
      .toFixed(0)
      .padStart(
        7,
      )}  ${o.load.p50.toFixed(1).padStart(7)}  ${o.load.p99.toFixed(1).padStart(7)}  ${`${o.archivedAfterSeconds.toFixed(1)} s`.padStart(18)}  ${String(
      o.maxBacklog,
    ).padStart(
      11,
    )}  ${String(o.archived).padStart(8)}  ${String(lost).padStart(4)}  ${String(doubled).padStart(7)}${o.failed ? `  (${o.failed} failed)` : ''}`,
  );
}
