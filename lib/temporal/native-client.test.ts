// The relay's native client: usable while Temporal is down (throws, never hangs), connected
// once Temporal comes up, with no restart of the process in between.
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/ports';
import { createLogger } from '../logger';
import { type DevServer, startDevServer } from './dev-server';
import { BackgroundNativeClient, TemporalNotConnectedError } from './native-client';

let dev: DevServer | undefined;
let client: BackgroundNativeClient | undefined;
afterAll(async () => {
  await client?.close();
  await dev?.stop();
});

describe('BackgroundNativeClient', () => {
  it('refuses while Temporal is down, then connects in the background once it is up', async () => {
    const [port, uiPort] = await Promise.all([freePort(), freePort()]);
    client = new BackgroundNativeClient({
      address: `127.0.0.1:${port}`,
      namespace: 'default',
      interceptors: {},
      log: createLogger('silent'),
      firstRetryMs: 100,
      maxRetryMs: 300,
    });
    expect(() => client!.current()).toThrow(TemporalNotConnectedError);
    await new Promise((r) => setTimeout(r, 1000));
    expect(() => client!.current()).toThrow(TemporalNotConnectedError);

    dev = await startDevServer({ port, uiPort, namespace: 'default', headless: true });
    await expect
      .poll(
        () => {
          try {
            return Boolean(client!.current());
          } catch {
            return false;
          }
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
    const handle = await client.current().workflow.start('nobodyRunsThis', {
      taskQueue: `native-client-${port}`,
      workflowId: `native-client-${Date.now()}`,
    });
    expect((await handle.describe()).status.name).toBe('RUNNING');
  }, 90_000);

  it('closes while still trying, without waiting for a connection', async () => {
    const port = await freePort();
    const pending = new BackgroundNativeClient({
      address: `127.0.0.1:${port}`,
      namespace: 'default',
      interceptors: {},
      log: createLogger('silent'),
    });
    const t0 = Date.now();
    await pending.close();
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(() => pending.current()).toThrow(TemporalNotConnectedError);
  }, 30_000);
});
