// What the body pace, the early-error drain check and the per-IP upload slots cost on the happy
// path (issue 11): one process, two bare HTTP servers answering 200 to 1 KB bodies, alternated
// so both see the same machine: a plain read (the baseline) vs our read path (attachBodyPace,
// UploadSlots.enter, readBodyCapped with its pace watch, sendJson with its drain check).
//
//   node --import tsx scripts/bench-body-guard.ts [--requests 20000] [--concurrency 32] [--rounds 3]
import { createServer, type RequestListener, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { attachBodyPace, DEFAULT_BODY_PACE, watchPace } from '../apps/server/http/body-pace';
import { sendJson } from '../apps/server/http/respond';
import { readBodyCapped } from '../apps/server/ingest/read-body';
import { UploadSlots } from '../apps/server/ingest/upload-slots';
import { MAX_BODY_BYTES } from '../lib/payload';
import { type LoadResult, runLoad } from './bench/load';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
  },
});
const total = Number(args.requests);
const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);
const body = JSON.stringify({ body: 'x'.repeat(1000) });

const baseline: RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"accepted"}');
  });
};

const slots = new UploadSlots(16);
const guarded: RequestListener = (req, res) => {
  attachBodyPace(req, DEFAULT_BODY_PACE);
  slots.enter(req, res, req.socket.remoteAddress ?? null);
  readBodyCapped(req, MAX_BODY_BYTES).then(
    () => sendJson(res, 200, { status: 'accepted' }),
    () => sendJson(res, 400, { error: { code: 'x' } }),
  );
};

async function serve(handler: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, origin: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
}

const results: Record<string, LoadResult[]> = { baseline: [], guarded: [] };
const servers = { baseline: await serve(baseline), guarded: await serve(guarded) };
for (let r = 0; r < rounds; r++) {
  for (const name of ['baseline', 'guarded'] as const) {
    const { origin } = servers[name];
    const url = new URL(`${origin}/webhooks/incoming/in/t`);
    const reqs = Array.from({ length: total }, () => ({
      url,
      headers: { 'content-type': 'application/json' },
      body,
    }));
    results[name]!.push(await runLoad(origin, reqs, concurrency));
  }
}
for (const { server } of Object.values(servers)) server.close();

// The pace watch on its own (its timer armed and cleared), per request.
const n = 200_000;
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const w = watchPace(DEFAULT_BODY_PACE, () => {});
  w.received(1024);
  w.stop();
}
const watchUs = ((performance.now() - t0) * 1000) / n;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  `# ${total} requests of 1 KB, concurrency ${concurrency}, ${rounds} alternating rounds, median round`,
);
console.log('| server | req/s | p50 ms | p99 ms | non-200 |');
console.log('|---|---|---|---|---|');
for (const [name, rs] of Object.entries(results)) {
  const non200 = rs.reduce((n, x) => n + x.sent - x.ok, 0);
  console.log(
    `| ${name} | ${Math.round(median(rs.map((x) => x.perSecond)))} | ${median(rs.map((x) => x.p50)).toFixed(2)} | ${median(rs.map((x) => x.p99)).toFixed(2)} | ${non200} |`,
  );
}
console.log(`\nwatchPace + received + stop alone: ${watchUs.toFixed(2)} µs per request`);
