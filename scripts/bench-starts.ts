// What one workflow start costs the process that makes it: the relay starts one per acknowledged
// message, on the server's event loop. Starts archiveMessage-shaped workflows (same id policies,
// search attributes, a reference-sized input; no worker, so nothing runs them) on a fresh dev
// server, through the pure-JS gRPC client (`Connection`) and through the SDK's Rust core
// (`NativeConnection`), alternating in rounds, and reports starts/s and the client's CPU per
// start: the whole process, and the event-loop thread alone (from /proc).
//
//   node --import tsx scripts/bench-starts.ts [--starts 2000] [--rounds 3] [--concurrency 32]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer } from '../lib/temporal/dev-server';
import { SA_ENDPOINT, SA_EXTERNAL_ID, SA_STATUS, SA_TENANT } from '../lib/temporal/search-attributes';
import { freePort } from '../test/helpers/ports';
import { median } from './bench/stats';

const { values: args } = parseArgs({
  options: {
    starts: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '32' },
  },
});
const starts = Number(args.starts);
const concurrency = Number(args.concurrency);

/** CPU µs of this process's main (event-loop) thread. */
function loopCpuUs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000; // utime + stime, in 10 ms ticks
}

const [port, uiPort] = await Promise.all([freePort(), freePort()]);
const dev = await startDevServer({ port, uiPort, namespace: 'default', headless: true });
const run = Date.now();

interface Result {
  perSecond: number;
  cpuUs: number;
  loopUs: number;
}

async function measure(client: Client, tag: string): Promise<Result> {
  const loop0 = loopCpuUs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < starts; i = next++) {
        await client.workflow.start('archiveMessage', {
          taskQueue: `bench-starts-${run}`,
          workflowId: `${tag}-${run}-${i}`,
          // The relay's input: ids and a hash, not the body.
          args: [
            {
              messageId: '3f1c4e2a-7b7d-5c11-9a0e-6d4b8a2f9c01',
              tenantId: '0b7c8f7e-1b1e-4a1f-9a57-3c1f5d7c9e11',
              endpointId: '5a1d3c9e-2f4b-4e8a-b7c6-1d2e3f4a5b6c',
              externalId: `order-${i}`,
              workflowId: `${tag}-${run}-${i}`,
              rawSha256: 'a'.repeat(64),
              fetchMaxAttempts: 5,
            },
          ],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
          typedSearchAttributes: [
            { key: SA_TENANT, value: 'bench' },
            { key: SA_ENDPOINT, value: 'bench' },
            { key: SA_EXTERNAL_ID, value: `order-${i}` },
            { key: SA_STATUS, value: 'received' },
          ],
        });
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    perSecond: starts / seconds,
    cpuUs: (cpu.user + cpu.system) / starts,
    loopUs: (loopCpuUs() - loop0) / starts,
  };
}

const clients = {
  'grpc-js Connection': new Client({ connection: await Connection.connect({ address: dev.address }) }),
  NativeConnection: new Client({ connection: await NativeConnection.connect({ address: dev.address }) }),
};
const results: Record<string, Result[]> = Object.fromEntries(Object.keys(clients).map((n) => [n, []]));
try {
  for (const [name, client] of Object.entries(clients)) await measure(client, `warm-${name.length}`);
  for (let r = 0; r < Number(args.rounds); r++)
    for (const [name, client] of Object.entries(clients))
      results[name]!.push(await measure(client, `r${r}-${name.length}`));
} finally {
  await dev.stop();
}

console.log(
  `# ${starts} starts per round, concurrency ${concurrency}, ${args.rounds} alternating rounds (median), one dev server, no worker`,
);
for (const [name, rs] of Object.entries(results))
  console.log(
    `${name.padEnd(20)} ${median(rs.map((r) => r.perSecond))
      .toFixed(0)
      .padStart(5)} starts/s   client CPU per start ${median(rs.map((r) => r.cpuUs))
      .toFixed(0)
      .padStart(5)} µs, of which the event loop ${median(rs.map((r) => r.loopUs))
      .toFixed(0)
      .padStart(5)} µs`,
  );
process.exit(0);
