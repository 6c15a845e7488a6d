import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1, picked at random below the kernel's
 * ephemeral range. A port from `listen(0)` comes from that range, so between our probe and the
 * real bind the kernel could hand it to any outgoing connection (a database client, a gRPC
 * channel) or to a Temporal dev server picking its internal ports the same way: a dev server once
 * exited at start-up (code 2) on such a collision. Below the range only another explicit pick
 * can take it, and picks are random over ~20,000 ports.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  const span = Math.max(1_000, low - floor);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = floor + Math.floor(Math.random() * span);
    if (await canBind(port)) return port;
  }
  throw new Error('no free port found below the ephemeral range after 50 tries');
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return [Number(low), Number(high)];
  } catch {
    return [32_768, 60_999]; // Linux's default
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * What an apps/main.ts (scripts/start) instance in `dataDir` needs on top of the caller's
 * environment: free ports for its HTTP server, dev server and dev server UI, and quiet logs.
 */
export async function startEnv(dataDir: string) {
  const [port, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const env = {
    DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    LOG_LEVEL: 'warn',
  };
  return { port, temporalPort, env };
}
