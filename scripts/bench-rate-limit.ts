// Rate-limiter benchmark (issue 5), over real HTTP against the real ingest handler:
//  1. the limiter's cost on the hot path: requests/s and latency with no limiter, the in-process
//     limiter and the Redis-shared limiter, same run, same requests (bodies are `{}`, so each
//     admitted request ends at validation with 422 and Temporal plays no part);
//  2. the extra latency a queued request sees: a burst of 2x the bucket, admitted by queueing.
//
//   node --import tsx scripts/bench-rate-limit.ts [--requests 20000] [--concurrency 32]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createTRPCClient, httpLink } from '@trpc/client';
import { Redis } from 'ioredis';
import { closeServer, listen, openIngestPipeline } from '../apps/runtime';
import { createTenantWithKey } from '../apps/server/bootstrap';
import type { ServerDeps } from '../apps/server/deps';
import { openReceiptSigner } from '../apps/server/evidence/receipt';
import { createHttpServer } from '../apps/server/http/server';
import {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimiter,
} from '../apps/server/ingest/rate-limit';
import type { AppRouter } from '../apps/server/trpc/root';
import { openDatabase } from '../db/client';
import { openEvidence } from '../ledger/deps';
import { loadConfig } from '../lib/config';
import { randomToken, SecretBox } from '../lib/crypto';
import { createLogger } from '../lib/logger';
import { freePort } from '../test/helpers/ports';
import { LocalWormStore } from '../worm/local-store';
import { type LoadRequest, runLoad } from './bench/load';

const { values: args } = parseArgs({
  options: { requests: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '32' } },
});
const total = Number(args.requests);
const concurrency = Number(args.concurrency);

const dir = mkdtempSync(path.join(tmpdir(), 'wa-bench-rl-'));
const database = openDatabase({});
await database.migrate();
const port = await freePort();
const config = loadConfig({
  DATA_DIR: dir,
  PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  LOG_LEVEL: 'silent',
});
const log = createLogger('silent');
const redis = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });

// The limiter is swapped between runs; everything else stays the same server.
const noLimit: RateLimiter = {
  backend: 'memory',
  acquire: async () => ({ ok: true, waitedMs: 0 }),
  getCounters: async () => ({ admitted: 0, queued: 0, rejected: 0, aborted: 0 }),
  reset: async () => {},
  close: async () => {},
};
// Never called on this path (requests end at validation); a lazy connection to nowhere.
const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
const pipeline = openIngestPipeline(config, log, database, () => temporal);
const evidence = openEvidence(config);
const deps: ServerDeps = {
  config,
  db: database.db,
  log,
  secretBox: new SecretBox(randomToken(32)),
  worm: new LocalWormStore(path.join(dir, 'worm')),
  temporal,
  rateLimiter: noLimit,
  receipts: pipeline.receipts,
  relay: pipeline.relay,
  backlog: pipeline.backlog,
  evidence,
  receiptSigner: openReceiptSigner(evidence, config.RECEIPT_SIGNER),
};
const server = createHttpServer(deps);
await listen(server, '127.0.0.1', port);
const origin = `http://127.0.0.1:${port}`;
const { adminKey } = await createTenantWithKey(database.db, 'bench');
const api = createTRPCClient<AppRouter>({
  links: [httpLink({ url: `${origin}/trpc`, headers: { authorization: `Bearer ${adminKey}` } })],
});
// Limits far above the offered load: we measure the limiter's cost, not its refusals.
const { endpoint, secret } = await api.endpoints.create.mutate({
  name: 'bench',
  authMode: 'bearer',
  rateLimitPerSecond: 100_000,
  rateLimitBurst: 1_000_000,
});
const url = new URL(endpoint.url);
const requests: LoadRequest[] = Array.from({ length: total }, () => ({
  url,
  body: '{}',
  headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
}));

const variants: [string, RateLimiter][] = [
  ['no limiter (baseline)', noLimit],
  ['in-process limiter', createMemoryRateLimiter({ log })],
  ['Redis-shared limiter', createRedisRateLimiter({ redis, log })],
];
console.log(`# ${total} requests, concurrency ${concurrency}, one Bearer endpoint, 2-core machine`);
const results: Record<string, number> = {};
for (let round = 0; round < 2; round++) {
  for (const [name, limiter] of variants) {
    deps.rateLimiter = limiter;
    await runLoad(origin, requests.slice(0, 1000), concurrency); // warm-up
    const r = await runLoad(origin, requests, concurrency);
    if (round === 1) {
      results[name] = r.perSecond;
      console.log(
        `${name.padEnd(24)} ${r.perSecond.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   ${JSON.stringify(r.statuses)}`,
      );
    }
  }
}
const base = results['no limiter (baseline)']!;
for (const [name] of variants.slice(1)) {
  console.log(`${`${name} / baseline`.padEnd(24)} ${(results[name]! / base).toFixed(3)}`);
}

// Queueing: a burst of 2x the bucket on a 100/s endpoint; the second half waits for refill.
const queued = await api.endpoints.create.mutate({
  name: 'queue',
  authMode: 'bearer',
  rateLimitPerSecond: 100,
  rateLimitBurst: 100,
});
deps.rateLimiter = createMemoryRateLimiter({ log });
const burst = Array.from({ length: 200 }, () => ({
  url: new URL(queued.endpoint.url),
  body: '{}',
  headers: { authorization: `Bearer ${queued.secret}` },
}));
const b = await runLoad(origin, burst, 200);
console.log(
  `burst of 200 on a 100/s, burst-100 endpoint: p50 ${b.p50.toFixed(0)} ms, p99 ${b.p99.toFixed(0)} ms (the 200th request waits ~1000 ms by design); ${JSON.stringify(b.statuses)}`,
);

await closeServer(server, 1000);
redis.disconnect();
await deps.receiptSigner.close();
await database.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
