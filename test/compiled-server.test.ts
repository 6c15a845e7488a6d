// Production runs the compiled JavaScript (scripts/build-app.ts → dist/app), not tsx: the built
// server, started as a real process with plain `node`, connects to PostgreSQL and Temporal,
// answers /healthz and /readyz, and stops cleanly on SIGTERM. Tracing is on (a local OTLP
// receiver), so the lazily loaded OTel chunk is exercised too, and the shutdown flushes spans.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stopChild } from '../lib/child-process';
import { INGEST_ROUTE } from '../lib/tracing/otel';
import { buildApp } from '../scripts/build-app';
import { testDatabaseUrl } from './helpers/database';
import { type OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver';
import { freePort } from './helpers/ports';
import { childPids } from './helpers/processes';

describe('compiled server (dist/app)', () => {
  const runDir = inject('runDir');
  const appDir = path.join(runDir, `app-${process.pid}`);
  let child: ReturnType<typeof spawn> | undefined;
  let output = '';
  let port: number;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await buildApp(appDir);
    port = await freePort();
    child = spawn(process.execPath, [path.join(appDir, 'server.js')], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: await testDatabaseUrl(),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: `compiled-${process.pid}`,
        DATA_DIR: mkdtempSync(path.join(runDir, 'compiled-')),
        PORT: String(port),
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d));
    child.stderr?.on('data', (d: Buffer) => (output += d));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) await stopChild(child, 10_000);
    await receiver?.close();
  });

  it('starts with plain node, answers /healthz and /readyz, traces, stops on SIGTERM', async () => {
    await expect
      .poll(() => output.includes('server listening') || child?.exitCode !== null, { timeout: 30_000 })
      .toBe(true);
    expect(child?.exitCode, output).toBeNull();
    // Not transpiled at run time: no tsx loader anywhere in the process.
    expect(child?.spawnargs.join(' ')).not.toContain('tsx');

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    const report = (await ready.json()) as { status: string; components: Record<string, { ok: boolean }> };
    expect(report.components.database?.ok, JSON.stringify(report)).toBe(true);
    expect(report.components.temporal?.ok, JSON.stringify(report)).toBe(true);

    const unknown = await fetch(`http://127.0.0.1:${port}/webhooks/incoming/in/no-such-token`, {
      method: 'POST',
      body: '{}',
    });
    expect(unknown.status).toBe(404);

    child!.kill('SIGTERM');
    const [code] = await once(child!, 'exit');
    expect(code, output).toBe(0);
    // Shutdown exported what was buffered: the 404's span, named by route, not by token.
    const span = receiver.spans.find((s) => s.name === `POST ${INGEST_ROUTE}`);
    expect(span?.attributes['http.response.status_code']).toBe('404');
    expect(span?.serviceName).toBe('webhook-archive-server');
    expect(JSON.stringify(receiver.spans)).not.toContain('no-such-token');
  });
});

describe('compiled embedded entry (dist/app/main.js)', () => {
  it('forks its PGlite and worker processes from the bundle (database.js, worker.js), is ready, stops on SIGINT', async () => {
    const runDir = inject('runDir');
    const appDir = path.join(runDir, `app-embedded-${process.pid}`);
    await buildApp(appDir);
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(runDir, 'compiled-embedded-'));
    const child = spawn(process.execPath, [path.join(appDir, 'main.js')], {
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: inject('temporalAddress'), // the suite's: no second dev server to wait for
        TEMPORAL_TASK_QUEUE: `compiled-embedded-${process.pid}`,
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d));
    child.stderr?.on('data', (d: Buffer) => (output += d));
    try {
      await expect
        .poll(() => output.includes('Listening on') || child.exitCode !== null, { timeout: 60_000 })
        .toBe(true);
      expect(child.exitCode, output).toBeNull();
      expect(output).toMatch(/Database:\s+postgres:\/\/postgres@localhost\/postgres\?host=/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      const report = (await ready.json()) as { components: Record<string, { ok: boolean }> };
      expect(report.components.database?.ok, JSON.stringify(report)).toBe(true);
      const children = childPids(child.pid!).map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      expect(children.some((c) => c.includes(path.join(appDir, 'database.js')))).toBe(true);
      expect(children.some((c) => c.includes(path.join(appDir, 'worker.js')))).toBe(true);

      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      expect(code, output).toBe(0);
    } finally {
      if (child.exitCode === null) await stopChild(child, 10_000);
    }
  }, 120_000);
});
