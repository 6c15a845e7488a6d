// Runs `temporal server start-dev` as a child process (embedded mode and tests): SQLite file
// for persistence, Temporal Web, and the search attributes our workflows use, pre-registered.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import {
  collectOutput,
  type Supervised,
  type SupervisorOptions,
  spawnTiedToParent,
  stopChild,
  supervise,
  toolPath,
} from '../child-process';
import { ALL_SEARCH_ATTRIBUTES } from './search-attributes';

export interface DevServerOptions {
  port: number;
  uiPort: number;
  namespace: string;
  /** More namespaces to create at launch (tests use a second one as a "forgetful" Temporal). */
  extraNamespaces?: string[];
  /** SQLite file; unset keeps state in memory (tests that don't need persistence). */
  dbFile?: string | undefined;
  headless?: boolean;
  /** Dynamic-config levers for a single-node dev server (see DEV_SERVER_TUNING); default on. */
  tuned?: boolean;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Settings for a one-node dev server that serves one worker. Every search attribute is
 * registered at launch, so re-reading the cache on every read (the dev server's default) buys
 * nothing and costs ~15 SQLite operations per workflow; one task-queue partition lets the one
 * worker's polls meet every task without forwarding between partitions.
 */
export const DEV_SERVER_TUNING = {
  'system.forceSearchAttributesCacheRefreshOnRead': false,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
} as const;

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

function devServerArgs(opts: DevServerOptions): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
  ];
  for (const ns of opts.extraNamespaces ?? []) args.push('--namespace', ns);
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push(
      '--db-filename',
      opts.dbFile,
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=NORMAL',
    );
  }
  for (const key of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  if (opts.tuned ?? true) {
    for (const [key, value] of Object.entries(DEV_SERVER_TUNING)) {
      args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
    }
  }
  return args;
}

/** Spawns one dev server and waits until its namespaces answer; throws if it exits or times out. */
async function launch(bin: string, opts: DevServerOptions): Promise<ChildProcess> {
  const child = spawnTiedToParent(bin, devServerArgs(opts));
  const output = collectOutput(child, opts.log);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });

  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`temporal dev server exited with code ${exited}:\n${output().slice(-4000)}`);
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        for (const namespace of [opts.namespace, ...(opts.extraNamespaces ?? [])]) {
          await conn.workflowService.describeNamespace({ namespace });
        }
        return child;
      } finally {
        await conn.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `temporal dev server not ready after ${opts.readyTimeoutMs ?? 60_000} ms: ${String(err)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const child = await launch(toolPath('temporal'), opts);
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    stop: () => stopChild(child),
  };
}

export interface SupervisedDevServer extends Omit<DevServer, 'process'>, Supervised {}

/**
 * The embedded dev server, kept alive: if the child dies (crash, OOM kill, SIGKILL) it is started
 * again on the same ports with the same SQLite file, so workflows resume where they were, with
 * exponential backoff between failed attempts. state() tells readiness the truth meanwhile.
 */
export async function superviseDevServer(
  opts: DevServerOptions,
  sup: SupervisorOptions = {},
): Promise<SupervisedDevServer> {
  const bin = toolPath('temporal');
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort}`,
    ...(await supervise(() => launch(bin, opts), sup)),
  };
}

/** The pid of the `temporal` binary itself (the lifeline shell's child), for fault-injection tests. */
export function serverPid(lifeline: ChildProcess): number | undefined {
  if (!lifeline.pid) return undefined;
  try {
    const kids = readFileSync(`/proc/${lifeline.pid}/task/${lifeline.pid}/children`, 'utf8').trim();
    const first = kids.split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}
