// The embedded all-in-one process (scripts/start's apps/main.ts): Temporal dev server as a child,
// PGlite, the relay starting workflows eagerly on the worker's own connection. One message end
// to end, then a clean Ctrl-C that takes the dev server with it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from './helpers/ports';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postHmac, samplePayload } from './helpers/webhooks';

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

describe('scripts/start (apps/main.ts)', () => {
  it('acknowledges and archives a message, then stops cleanly on SIGINT', async () => {
    const dataDir = mkdtempSync(path.join(inject('runDir'), 'embedded-'));
    const [port, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    child = spawn(process.execPath, ['--import', 'tsx', 'apps/main.ts'], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(port),
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    await expect.poll(() => stdout, { timeout: 90_000, interval: 250 }).toMatch(/Listening on/);

    const base = `http://127.0.0.1:${port}`;
    const api = adminClient(base, readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim());
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'embedded', authMode: 'hmac' });
    const res = await postHmac(endpoint.url, secret, samplePayload());
    expect(res.status).toBe(200);
    const ack = (await res.json()) as Ack;
    expect(ack.status).toBe('accepted');
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id }).catch(() => null))?.status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe('archived');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    child = undefined;
  }, 150_000);
});
