// POST /webhooks/incoming/in/<token>: the producer-facing contract, one check per step, cheap
// and safe checks first. Every failure is an HttpError with a stable code; anything else
// (database, object store, Temporal down) is a 503 the producer can safely retry.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../../../db/schema';
import { ipInCidrs } from '../../../lib/cidr';
import { sha256Hex } from '../../../lib/crypto';
import { MAX_BODY_BYTES, parsePayload } from '../../../lib/payload';
import type { ServerDeps } from '../deps';
import { endpointSecret } from '../endpoint-secret';
import { createReceiptSigner, originalReceiptInput } from '../evidence/receipt';
import { HttpError, sendError, sendJson } from '../http/respond';
import { admitMessage } from './admit';
import { checkBearer, checkHmac } from './authenticate';
import { clientIp } from './client-ip';
import { checkInlineAttachmentHashes } from './inline-attachments';
import { disconnectSignal, isAbortError } from './rate-limit';
import { readBodyCapped } from './read-body';
import { resolveEndpoint } from './resolve-endpoint';

export const INGEST_PREFIX = '/webhooks/incoming/in/';

export function createIngestHandler(deps: ServerDeps) {
  const { config, db, log } = deps;
  const admitDeps = {
    db,
    temporal: deps.temporal,
    worm: deps.worm,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    inlineBodyMaxBytes: config.INLINE_BODY_MAX_BYTES,
    fetchMaxAttempts: config.FETCH_MAX_ATTEMPTS,
  };
  const signIngestReceipt = createReceiptSigner(deps.evidence);

  return async function handleIngest(
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
  ): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    const receivedAt = new Date();
    let endpointId: string | undefined;
    const admitRate = async (endpoint: Pick<Endpoint, 'id' | 'rateLimitPerSecond' | 'rateLimitBurst'>) => {
      const rl = await deps.rateLimiter.acquire(
        endpoint.id,
        { ratePerSecond: endpoint.rateLimitPerSecond, burst: endpoint.rateLimitBurst },
        disconnectSignal(res),
      );
      if (!rl.ok) {
        throw new HttpError(
          429,
          'rate_limited',
          'rate limit exceeded for this endpoint; retry with backoff',
          {
            'retry-after': String(rl.retryAfterSeconds),
          },
        );
      }
    };
    try {
      if (req.method !== 'POST')
        throw new HttpError(405, 'method_not_allowed', 'use POST', { allow: 'POST' });
      const { endpoint, retentionDays } = await resolveEndpoint(db, token);
      endpointId = endpoint.id;

      const ip = clientIp(req, config.TRUSTED_PROXIES);
      if (endpoint.ipAllowlist.length > 0 && !(ip && ipInCidrs(ip, endpoint.ipAllowlist))) {
        throw new HttpError(403, 'ip_not_allowed', "source IP is not in this endpoint's allowlist");
      }

      const secret = endpointSecret(deps.secretBox, endpoint);
      // Bearer can be checked before the body is read: an unauthenticated client never
      // gets us to buffer 10 MB.
      if (endpoint.authMode === 'bearer') {
        checkBearer(req.headers, secret);
        // Before the body: a request that will be refused never makes us buffer it.
        await admitRate(endpoint);
      }
      const raw = await readBodyCapped(req, MAX_BODY_BYTES);
      if (endpoint.authMode === 'hmac') {
        checkHmac(req.headers, secret, raw);
        // After the signature: unauthenticated traffic never spends the producer's budget.
        await admitRate(endpoint);
      }

      const parsed = parsePayload(raw);
      if (!parsed.ok) {
        if (parsed.code === 'invalid_json') throw new HttpError(400, 'invalid_json', parsed.message);
        throw new HttpError(422, 'validation_failed', parsed.message, {}, parsed.issues);
      }
      checkInlineAttachmentHashes(parsed.payload);

      const rawSha256 = sha256Hex(raw);
      const result = await admitMessage(admitDeps, {
        tenantId: endpoint.tenantId,
        endpointId: endpoint.id,
        authMode: endpoint.authMode,
        retentionDays,
        externalId: parsed.payload.external_id,
        raw,
        rawSha256,
        requestId,
        receivedAt,
        sourceIp: ip,
      });
      // evidence: a signed receipt; a duplicate's is the original's (same received_at and hash).
      const receiptInput = {
        messageId: result.messageId,
        externalId: parsed.payload.external_id,
        endpointId: endpoint.id,
        tenantId: endpoint.tenantId,
        rawSha256,
        receivedAt,
      };
      const receipt = signIngestReceipt(
        result.status === 'duplicate' ? await originalReceiptInput(db, receiptInput) : receiptInput,
      );
      sendJson(res, 200, {
        status: result.status,
        message_id: result.messageId,
        external_id: parsed.payload.external_id,
        workflow_id: result.workflowId,
        receipt,
      });
      log.info(
        { requestId, endpointId, status: 200, outcome: result.status, ms: elapsed(started) },
        'webhook acknowledged',
      );
    } catch (err) {
      if (isAbortError(err)) return; // the client hung up while queued: nobody to answer
      const httpErr =
        err instanceof HttpError
          ? err
          : new HttpError(503, 'unavailable', 'the archive is temporarily unavailable; retry later', {
              'retry-after': '5',
            });
      if (!(err instanceof HttpError))
        log.error({ err, requestId, endpointId }, 'ingest failed; answered 503');
      else
        log.info(
          { requestId, endpointId, status: httpErr.status, code: httpErr.code, ms: elapsed(started) },
          'webhook refused',
        );
      sendError(res, httpErr);
      if (httpErr.status === 413) discardRestThenClose(req);
    }
  };
}

/**
 * After a 413 the client may still be uploading. Closing at once would reset the connection
 * before it reads our answer, so we read and discard for a bounded time and volume, then close:
 * the producer sees a clean 413 and a slow or endless upload cannot hold the socket.
 */
function discardRestThenClose(req: IncomingMessage, maxMs = 5_000, maxBytes = 64 * 1024 * 1024) {
  let discarded = 0;
  const stop = () => {
    clearTimeout(timer);
    req.destroy();
  };
  const timer = setTimeout(stop, maxMs);
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) stop();
  });
  req.once('end', () => clearTimeout(timer));
  req.resume();
}

const elapsed = (t: number) => Math.round((performance.now() - t) * 10) / 10;
