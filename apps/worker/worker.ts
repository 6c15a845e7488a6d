// The Temporal worker: runs archiveMessage and its activities against real dependencies.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities/deps';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const workflowsPath = path.join(repoRoot, 'workflows/index.ts');
export const defaultBundlePath = path.join(repoRoot, 'dist/workflow-bundle.js');

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt workflow bundle (samples-typescript `production`); built on the fly if absent. */
  workflowBundlePath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
}

export async function createArchiveWorker(opts: WorkerOptions): Promise<Worker> {
  const bundlePath =
    opts.workflowBundlePath ?? (existsSync(defaultBundlePath) ? defaultBundlePath : undefined);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath }),
    activities: createActivities(opts.deps),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 100,
    ...(opts.maxConcurrentWorkflowTaskExecutions
      ? { maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(opts.maxConcurrentLocalActivityExecutions
      ? { maxConcurrentLocalActivityExecutions: opts.maxConcurrentLocalActivityExecutions }
      : {}),
    // Our own logger carries the useful context; keep the SDK's quiet.
    shutdownGraceTime: '10 seconds',
  });
}

/** Builds the workflow bundle once (scripts/start, tests) so workers start in milliseconds. */
export async function buildWorkflowBundle(outFile: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
}

const noop = () => {};
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: console.warn,
  error: console.error,
};
