// Production runs the compiled JavaScript (scripts/build-app.ts → dist/app), not tsx: the built
// server, started as a real process with plain `node`, connects to PostgreSQL and Temporal,
// answers /healthz and /readyz, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stopChild } from '../lib/temporal/dev-server';
import { buildApp } from '../scripts/build-app';
import { freePort } from './helpers/ports';

describe('compiled server (dist/app)', () => {
  const runDir = inject('runDir');
  const appDir = path.join(runDir, `app-${process.pid}`);
  let child: ReturnType<typeof spawn> | undefined;
  let output = '';
  let port: number;

  beforeAll(async () => {
    await buildApp(appDir);
    port = await freePort();
    child = spawn(process.execPath, [path.join(appDir, 'server.js')], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: inject('databaseUrl'),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: `compiled-${process.pid}`,
        DATA_DIR: mkdtempSync(path.join(runDir, 'compiled-')),
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d));
    child.stderr?.on('data', (d: Buffer) => (output += d));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) await stopChild(child, 10_000);
  });

  it('starts with plain node, answers /healthz and /readyz, stops on SIGTERM', async () => {
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

    child!.kill('SIGTERM');
    const [code] = await once(child!, 'exit');
    expect(code, output).toBe(0);
  });
});
