// Interceptors for every Temporal client we build (server, relay, tests): workflow starts are
// counted for /metrics here, so whoever starts a workflow (the ingest path today, the relay
// tomorrow) is measured without a hook at the call site.
import {
  type ClientInterceptors,
  type WorkflowClientInterceptor,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { metrics } from '../metrics';
import { tracing } from '../tracing';

const countStarts: WorkflowClientInterceptor = {
  async start(input, next) {
    try {
      const runId = await next(input);
      metrics.workflowStarted(true);
      return runId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) metrics.workflowStarted(false);
      throw err;
    }
  },
};

/** Tracing (when installed before the client is built) puts the receipt's traceparent in the
 * workflow's headers, so the run and its activities join the ingest request's trace. */
export function clientInterceptors(): ClientInterceptors {
  const t = tracing();
  return { workflow: t ? [countStarts, t.clientInterceptor] : [countStarts] };
}
