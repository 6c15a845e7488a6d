// Health tells the truth: /healthz is liveness, /readyz probes each component and answers 503
// while a required one is down. The embedded Temporal dev server is supervised: SIGKILLed, it
// comes back on the same port with its SQLite file (its workflows still there).
import type { Server } from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeServer, listen } from '../apps/runtime';
import {
  Readiness,
  type ReadinessReport,
  redisCheck,
  standardChecks,
  supervisedCheck,
} from '../apps/server/http/readiness';
import { createHttpServer } from '../apps/server/http/server';
import { openDatabase } from '../db/client';
import { type SupervisedDevServer, serverPid, superviseDevServer } from '../lib/temporal/dev-server';
import { freePort } from './helpers/ports';
import { type Stack, startStack } from './helpers/stack';

async function readyz(base: string): Promise<{ status: number; body: ReadinessReport }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadinessReport };
}

async function serve(deps: Stack['deps'], readiness: Readiness): Promise<{ base: string; server: Server }> {
  const server = createHttpServer(deps, { readiness });
  const port = await listen(server, '127.0.0.1', 0);
  return { base: `http://127.0.0.1:${port}`, server };
}

describe('supervised Temporal dev server', () => {
  let dev: SupervisedDevServer;
  let stack: Stack;
  let http: { base: string; server: Server };
  const events: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    dev = await superviseDevServer(
      {
        port,
        uiPort: 0,
        namespace: 'default',
        headless: true,
        dbFile: path.join(inject('runDir'), `supervised-${port}`, 'temporal.sqlite'),
        readyTimeoutMs: 120_000,
      },
      { initialBackoffMs: 200, onEvent: (e) => events.push(e.type) },
    );
    stack = await startStack({ temporalAddress: dev.address, worker: false });
    const base = standardChecks(stack.deps).find((c) => c.name === 'temporal')!;
    http = await serve(
      stack.deps,
      new Readiness(standardChecks(stack.deps)).add(supervisedCheck(base, dev, 'embedded dev server')),
    );
  });
  afterAll(async () => {
    if (http) await closeServer(http.server, 1000);
    await stack?.close();
    await dev?.stop();
  });

  it('kill -9 of the temporal child: readiness reports the outage, the child is restarted, state survives', async () => {
    const before = await readyz(http.base);
    expect(before.status).toBe(200);
    expect(before.body.status).toBe('ready');
    expect(before.body.components.temporal).toMatchObject({ ok: true, required: true, restarts: 0 });

    // A workflow that lives only in the dev server's SQLite file (no worker polls its queue).
    const workflowId = `supervision-${Date.now()}`;
    await stack.deps.temporal.workflow.start('archiveMessage', {
      taskQueue: `nobody-${workflowId}`,
      workflowId,
      args: [],
    });

    const pid = serverPid(dev.process());
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');

    // The outage is visible: 503, temporal down, with a reason.
    let during: Awaited<ReturnType<typeof readyz>> | undefined;
    await expect
      .poll(
        async () => {
          const r = await readyz(http.base);
          if (r.status === 503) during ??= r;
          return during?.status;
        },
        { timeout: 10_000, interval: 20 },
      )
      .toBe(503);
    if (!during) throw new Error('unreachable');
    expect(during.body.status).toBe('unavailable');
    expect(during.body.components.temporal!.ok).toBe(false);
    expect(during.body.components.temporal!.error).toEqual(expect.any(String));
    expect(during.body.components.database!.ok).toBe(true);
    // Liveness is unaffected: this process still answers.
    expect((await fetch(`${http.base}/healthz`)).status).toBe(200);

    // Recovery: same address, restart counted, ready again.
    await expect
      .poll(async () => (await readyz(http.base)).status, { timeout: 60_000, interval: 250 })
      .toBe(200);
    expect(dev.restarts()).toBe(1);
    expect(dev.state()).toBe('running');
    expect(events).toEqual(['exited', 'restarted']);
    const after = await readyz(http.base);
    expect(after.body.components.temporal).toMatchObject({
      ok: true,
      restarts: 1,
      last_exit: { signal: null, code: 137 },
    });
    expect(serverPid(dev.process())).not.toBe(pid);

    // The SQLite file was kept: the workflow started before the kill is still there.
    const desc = await stack.deps.temporal.workflow.getHandle(workflowId).describe();
    expect(desc.status.name).toBe('RUNNING');
  }, 120_000);
});

describe('/readyz components', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it('reports database, Temporal and the object store; /healthz stays liveness', async () => {
    const { status, body } = await readyz(stack.baseUrl);
    expect(status).toBe(200);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.components).sort()).toEqual(['database', 'object_store', 'temporal']);
    for (const c of Object.values(body.components)) expect(c).toMatchObject({ ok: true, required: true });
    expect(body.components.object_store).toMatchObject({ kind: 'local' });
    expect(await (await fetch(`${stack.baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('a database that goes away: 503 naming it, other components still ok', async () => {
    const admin = openDatabase({ url: inject('adminDatabaseUrl'), maxConnections: 1 });
    const name = `wa_readyz_${Date.now()}`;
    await admin.db.execute(`CREATE DATABASE ${name}` as never);
    const doomed = openDatabase({
      url: inject('adminDatabaseUrl').replace(/\/[^/]*$/, `/${name}`),
      maxConnections: 1,
    });
    const deps = { ...stack.deps, db: doomed.db };
    const http = await serve(deps, new Readiness(standardChecks(deps)));
    try {
      expect((await readyz(http.base)).status).toBe(200);
      await admin.db.execute(`DROP DATABASE ${name} WITH (FORCE)` as never);
      const { status, body } = await readyz(http.base);
      expect(status).toBe(503);
      expect(body.status).toBe('unavailable');
      expect(body.components.database).toMatchObject({ ok: false, required: true });
      expect(body.components.database!.error).toMatch(/\S/);
      expect(JSON.stringify(body)).not.toMatch(/\n\s+at /); // no stack trace
      expect(body.components.temporal!.ok).toBe(true);
    } finally {
      await closeServer(http.server, 1000);
      await doomed.close().catch(() => {});
      await admin.db.execute(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)` as never);
      await admin.close();
    }
  });

  it('Redis is reported when configured; down it degrades readiness without failing it', async () => {
    const up = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0 });
    const deadPort = await freePort();
    const down = new Redis(`redis://127.0.0.1:${deadPort}`, {
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    try {
      const ok = await new Readiness([...standardChecks(stack.deps), redisCheck(up)]).report();
      expect(ok.status).toBe('ready');
      expect(ok.components.redis).toMatchObject({ ok: true, required: false });

      const http = await serve(stack.deps, new Readiness([...standardChecks(stack.deps), redisCheck(down)]));
      try {
        const { status, body } = await readyz(http.base);
        expect(status).toBe(200);
        expect(body.status).toBe('degraded');
        expect(body.components.redis).toMatchObject({ ok: false, required: false });
      } finally {
        await closeServer(http.server, 1000);
      }
    } finally {
      up.disconnect();
      down.disconnect();
    }
  });
});
