// The end-to-end ceiling of the same run: `--workflows N` no-op workflows shaped like
// archiveMessage (same id policies, search attributes and number of local activities), started
// at `--concurrency` and run by one worker in this process. Prints completions per second.
//
//   node --import tsx scripts/bench/noop-ceiling.ts --address 127.0.0.1:7233 --workflows 2000
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { SA_ENDPOINT, SA_EXTERNAL_ID, SA_STATUS, SA_TENANT } from '../../lib/temporal/search-attributes';
import * as activities from './noop/activities';

const { values: args } = parseArgs({
  options: {
    address: { type: 'string', default: '127.0.0.1:7233' },
    namespace: { type: 'string', default: 'default' },
    workflows: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const total = Number(args.workflows);
// stdout carries the result line only.
Runtime.install({ logger: new DefaultLogger('WARN', (e) => console.error(e.message)) });
const taskQueue = `noop-ceiling-${process.pid}`;
const run = Date.now();

const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: args.address }),
  namespace: args.namespace,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./noop/workflows.ts', import.meta.url)),
  activities,
  bundlerOptions: { ignoreModules: [] },
});
const running = worker.run();
const client = new Client({
  connection: await Connection.connect({ address: args.address }),
  namespace: args.namespace,
});

const t0 = performance.now();
const cpu0 = process.cpuUsage();
let next = 0;
await Promise.all(
  Array.from({ length: Number(args.concurrency) }, async () => {
    for (let i = next++; i < total; i = next++) {
      const handle = await client.workflow.start('noopArchive', {
        taskQueue,
        workflowId: `noop-${run}-${i}`,
        args: [String(i)],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: SA_TENANT, value: 'bench' },
          { key: SA_ENDPOINT, value: 'bench' },
          { key: SA_EXTERNAL_ID, value: String(i) },
          { key: SA_STATUS, value: 'received' },
        ],
      });
      await handle.result();
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
// cpuSeconds: this process (worker and client) during the run, Rust core threads included.
console.log(
  JSON.stringify({
    workflows: total,
    seconds,
    perSecond: total / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }),
);
worker.shutdown();
await running;
await client.connection.close();
process.exit(0);
