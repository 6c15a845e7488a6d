// The Temporal worker: runs archiveMessage and its activities against real dependencies.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities/deps';
import { repoRoot } from '../../lib/repo-root';
import { tracing } from '../../lib/tracing';

export const workflowsPath = path.join(repoRoot, 'workflows/index.ts');
export const defaultBundlePath = path.join(repoRoot, 'dist/workflow-bundle.js');
/** The same workflows with the tracing interceptors bundled in (tracing on, lib/tracing). */
export const defaultTracedBundlePath = path.join(repoRoot, 'dist/workflow-bundle-traced.js');

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /**
   * A prebuilt workflow bundle (samples-typescript `production`); built on the fly if absent.
   * With tracing on it must be a traced one (buildWorkflowBundle(path, { traced: true })).
   */
  workflowBundlePath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
}

export async function createArchiveWorker(opts: WorkerOptions): Promise<Worker> {
  // Tracing: activity interceptors and the span sink here; the workflow interceptors live in
  // the (traced) workflow bundle, or are bundled on the fly when there is none.
  const traced = tracing()?.worker;
  const prebuilt = traced ? defaultTracedBundlePath : defaultBundlePath;
  const bundlePath = opts.workflowBundlePath ?? (existsSync(prebuilt) ? prebuilt : undefined);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath }),
    ...(traced
      ? {
          interceptors: {
            ...traced.interceptors,
            ...(bundlePath ? {} : { workflowModules: [tracedWorkflowInterceptors()] }),
          },
          sinks: traced.sinks,
        }
      : {}),
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
export async function buildWorkflowBundle(outFile: string, opts: { traced?: boolean } = {}): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
    ...(opts.traced ? { workflowInterceptorModules: [tracedWorkflowInterceptors()] } : {}),
  });
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
}

/** The traced bundle's workflow interceptors (lib/tracing/workflow-interceptors.ts), by file path. */
function tracedWorkflowInterceptors(): string {
  return path.join(repoRoot, 'lib/tracing/workflow-interceptors.ts');
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
