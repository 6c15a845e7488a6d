// The cost of observability on the ack path: the embedded stack (compiled, as scripts/start runs
// it) started with everything on — request log, metrics, and tracing exported over OTLP/HTTP to
// a local receiver that accepts and discards — then off (REQUEST_LOG_ENABLED, METRICS_ENABLED,
// no OTEL_EXPORTER_OTLP_ENDPOINT), alternating ON, OFF, ON, OFF in one run so drift on a shared
// machine hits both alike. HMAC-signed 1 KB messages, closed loop.
//
//   node --import tsx scripts/bench-observability.ts [--messages 1500] [--concurrency 32] [--rounds 2]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../apps/server/trpc/root';
import { buildWorkflowBundle, defaultTracedBundlePath } from '../apps/worker/worker';
import { hmacSha256Hex } from '../lib/crypto';
import { stopChild } from '../lib/temporal/dev-server';
import { startOtlpReceiver } from '../test/helpers/otlp-receiver';
import { freePort } from '../test/helpers/ports';
import { type LoadRequest, type LoadResult, runLoad } from './bench/load';
import { buildApp } from './build-app';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '2' },
  },
});
const total = Number(args.messages);
const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const body1k = (externalId: string) => {
  const s = JSON.stringify({
    external_id: externalId,
    occurred_at: '2026-05-28T14:30:00Z',
    from: { identifier: 'alice@example.com' },
    to: [{ identifier: 'bob@example.com' }],
    body: '',
    attachments: [],
  });
  return s.replace('"body":""', `"body":"${'x'.repeat(1024 - s.length)}"`);
};

// The compiled entry, and the traced workflow bundle tracing needs, built before anything is timed.
await buildApp();
await buildWorkflowBundle(defaultTracedBundlePath, { traced: true });
const sink = await startOtlpReceiver({ keep: false });

async function measure(observability: boolean, round: number): Promise<LoadResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-obs-'));
  const [port, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const flag = observability ? 'true' : 'false';
  const env = { ...process.env };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const system = spawn(process.execPath, ['dist/app/main.js'], {
    cwd: root,
    env: {
      ...env,
      ...(observability ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {}),
      DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      LOG_LEVEL: 'warn',
      REQUEST_LOG_ENABLED: flag,
      METRICS_ENABLED: flag,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      system.stdout?.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('Listening on')) resolve();
      });
      system.once('exit', (c) => reject(new Error(`stack exited (${c})`)));
    });
    const origin = `http://127.0.0.1:${port}`;
    const adminKey = readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim();
    const api = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${origin}/trpc`, headers: { authorization: `Bearer ${adminKey}` } })],
    });
    const eps = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.endpoints.create.mutate({ name: `b${i}`, authMode: 'hmac' })),
    );
    const requests = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i): LoadRequest => {
        const ep = eps[i % eps.length]!;
        const body = body1k(`${prefix}-${i}`);
        return {
          url: new URL(ep.endpoint.url),
          body,
          headers: {
            'content-type': 'application/json',
            'x-comma-signature': hmacSha256Hex(ep.secret, Buffer.from(body)),
          },
        };
      });
    await runLoad(origin, requests('warm', 300), concurrency);
    const r = await runLoad(origin, requests(`r${round}`, total), concurrency);
    console.log(
      `round ${round} ${observability ? 'ON ' : 'OFF'}  ${r.perSecond.toFixed(0).padStart(6)} acks/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  ${JSON.stringify(r.statuses)}`,
    );
    return r;
  } finally {
    await stopChild(system, 30_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `# ${total} HMAC 1 KB messages per measurement, concurrency ${concurrency}, ${rounds} rounds of ON/OFF`,
);
const on: LoadResult[] = [];
const off: LoadResult[] = [];
for (let i = 1; i <= rounds; i++) {
  on.push(await measure(true, i));
  off.push(await measure(false, i));
}
const mean = (rs: LoadResult[], k: 'perSecond' | 'p50' | 'p99') =>
  rs.reduce((a, r) => a + r[k], 0) / rs.length;
console.log('');
await sink.close();
console.log(`(the OTLP sink received ${sink.requests} export requests)`);
console.log(
  `request log + metrics + tracing ON : ${mean(on, 'perSecond').toFixed(0)} acks/s, p50 ${mean(on, 'p50').toFixed(1)} ms, p99 ${mean(on, 'p99').toFixed(1)} ms`,
);
console.log(
  `request log + metrics + tracing OFF: ${mean(off, 'perSecond').toFixed(0)} acks/s, p50 ${mean(off, 'p50').toFixed(1)} ms, p99 ${mean(off, 'p99').toFixed(1)} ms`,
);
console.log(
  `cost: ${((1 - mean(on, 'perSecond') / mean(off, 'perSecond')) * 100).toFixed(1)}% of ack throughput`,
);
