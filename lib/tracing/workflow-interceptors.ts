// Workflow interceptors for the traced workflow bundle (scripts/build-workflows.ts): no
// OpenTelemetry inside the sandbox (its SDK and context manager there cost more than the
// workflow itself). A run whose start carried a sampled traceparent header gets one
// RunWorkflow span, reported through a sink when the run ends (sinks are not called on
// replay, so once), and hands its own traceparent to every activity it schedules. Its span id
// comes from the run id: deterministic on replay, and it consumes none of the workflow's randomness.
import {
  defaultPayloadConverter,
  proxySinks,
  type Sinks,
  type WorkflowInterceptorsFactory,
  workflowInfo,
} from '@temporalio/workflow';
import { TRACEPARENT_HEADER } from './header';

export interface WorkflowSpan {
  name: string;
  /** The starter's traceparent (the HTTP request's span). */
  parent: string;
  spanId: string;
  startMs: number;
  endMs: number;
  error?: string;
  attributes: Record<string, string>;
}

export interface TracingSinks extends Sinks {
  tracing: { runEnded(span: WorkflowSpan): void };
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  let childHeader: ReturnType<typeof defaultPayloadConverter.toPayload> | undefined;
  const withTrace = <I extends { headers: Record<string, unknown> }>(input: I): I =>
    childHeader ? { ...input, headers: { ...input.headers, [TRACEPARENT_HEADER]: childHeader } } : input;
  return {
    inbound: [
      {
        async execute(input, next) {
          const header = input.headers[TRACEPARENT_HEADER];
          const parent = header ? defaultPayloadConverter.fromPayload<string>(header) : undefined;
          // Sampled only (flags 01): an unsampled trace records nothing downstream either.
          if (typeof parent !== 'string' || !parent.endsWith('-01')) return next(input);
          const info = workflowInfo();
          const spanId = info.runId.replace(/-/g, '').slice(0, 16);
          childHeader = defaultPayloadConverter.toPayload(`${parent.slice(0, 36)}${spanId}-01`);
          const startMs = Date.now();
          const report = (error?: string) =>
            proxySinks<TracingSinks>().tracing.runEnded({
              name: `RunWorkflow:${info.workflowType}`,
              parent,
              spanId,
              startMs,
              endMs: Date.now(),
              ...(error ? { error } : {}),
              attributes: { workflowId: info.workflowId, runId: info.runId },
            });
          try {
            const result = await next(input);
            report();
            return result;
          } catch (err) {
            report(err instanceof Error ? err.message : String(err));
            throw err;
          }
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(withTrace(input)),
        scheduleLocalActivity: (input, next) => next(withTrace(input)),
      },
    ],
  };
};
