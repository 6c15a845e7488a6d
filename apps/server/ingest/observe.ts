// The one call the ingest handler makes once it has answered: metrics, and the request log entry
// (what we answered, and precisely why). Runs synchronously and does no I/O: the log writer
// buffers, and a failure here must never reach the producer.
import type { IncomingMessage } from 'node:http';
import type { Endpoint } from '../../../db/schema';
import { sha256Hex } from '../../../lib/crypto';
import { metrics } from '../../../lib/metrics';
import type { ServerDeps } from '../deps';
import type { HttpError } from '../http/respond';
import { maskHeaders } from '../request-log/mask';

export interface IngestObservation {
  req: IncomingMessage;
  requestId: string;
  receivedAt: Date;
  startedAtMs: number;
  /** Whether the producer proved it holds the secret (until then its body is not ours to keep). */
  authenticated: boolean;
  endpoint?: Pick<Endpoint, 'id' | 'tenantId'>;
  sourceIp?: string | null;
  body?: Buffer;
  /** The body's SHA-256 when the ack already computed it. */
  bodySha256?: string | undefined;
  /** Unset when nobody was answered (the client left while queued). */
  answer?: { status: number; code: string } | HttpError;
}

export function observeIngest(
  deps: Pick<ServerDeps, 'requestLog' | 'config' | 'log'>,
  seen: IngestObservation,
): void {
  const { answer } = seen;
  if (!answer) return;
  try {
    metrics.ingest(answer.status, answer.code, seen.startedAtMs);
    const log = deps.requestLog;
    if (!log) return;
    if (answer.status === 200 && !sampled(deps.config.REQUEST_LOG_ACCEPTED_SAMPLE_RATE)) return;
    const declared = Number(seen.req.headers['content-length']);
    log.record({
      at: seen.receivedAt,
      tenantId: seen.endpoint?.tenantId ?? null,
      endpointId: seen.endpoint?.id ?? null,
      requestId: seen.requestId,
      method: seen.req.method ?? '',
      status: answer.status,
      code: answer.code,
      reason: reasonOf(answer),
      sourceIp: seen.sourceIp ?? seen.req.socket.remoteAddress ?? null,
      // Size and hash identify a body without keeping it (an unauthenticated one included).
      bodyBytes: seen.body?.length ?? (Number.isSafeInteger(declared) && declared >= 0 ? declared : null),
      bodySha256: seen.bodySha256 ?? (seen.body ? sha256Hex(seen.body) : null),
      headers: maskHeaders(seen.req.headers),
      ackMs: Math.round((performance.now() - seen.startedAtMs) * 100) / 100,
    });
  } catch (err) {
    deps.log.warn({ err, requestId: seen.requestId }, 'could not record ingest observation');
  }
}

const sampled = (rate: number) => rate >= 1 || (rate > 0 && Math.random() < rate);

/** The precise why: the thrower's reason, the 422's issue paths, or the code. */
function reasonOf(answer: IngestObservation['answer'] & object): string {
  const err = answer as Partial<HttpError>;
  if (err.reason) return err.reason;
  if (err.issues?.length) return `${answer.code}: ${err.issues.map((i) => i.path || '(root)').join(', ')}`;
  if (answer.status === 200) return answer.code;
  return err.message ? `${answer.code}: ${err.message}` : answer.code;
}
