// POST /webhooks/incoming/in/<token>: the producer-facing contract as a pipeline of small steps,
// cheap and safe checks first. Every failure is an HttpError with a stable code; anything else
// (database or object store down) is a 503 the producer can safely retry.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReceiptSummary } from '../../../db/receipts';
import type { AuthMode, Endpoint } from '../../../db/schema';
import type { Receipt } from '../../../evidence/receipt';
import { ipInCidrs } from '../../../lib/cidr';
import { sha256Hex } from '../../../lib/crypto';
import { MAX_BODY_BYTES, type Payload } from '../../../lib/payload';
import { tracing } from '../../../lib/tracing';
import type { ServerDeps } from '../deps';
import { HttpError, sendError, sendJson } from '../http/respond';
import { type AdmitDeps, type AdmitResult, admitMessage } from './admit';
import { checkBearer, checkHmac } from './authenticate';
import { clientIp } from './client-ip';
import { EndpointCache, StaleEndpointError } from './endpoint-cache';
import { checkInlineAttachmentHashes } from './inline-attachments';
import { observeIngest } from './observe';
import { disconnectSignal, isAbortError } from './rate-limit';
import { readBodyCapped } from './read-body';
import { evidenceHeaders, parseDelivery, verifyDelivery } from './sources';
import { UploadSlots } from './upload-slots';

export const INGEST_PREFIX = '/webhooks/incoming/in/';

/** What the steps learn about one request, in order. */
interface IngestState {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  receivedAt: Date;
  ip: string | null;
  endpoint: Endpoint;
  retentionDays: number;
  secret: string;
  /** The producer proved it holds the secret (until then its body is not ours to keep). */
  authenticated: boolean;
  /** Held an anonymous upload slot already (a re-check must not take a second). */
  uploadSlotTaken?: boolean;
  /** Reading the body failed: the stream is spent, so the request cannot be checked again. */
  bodyFailed?: boolean;
  raw?: Buffer;
  /** SHA-256 of raw, hashed once for the receipt and the request log. */
  rawSha256?: string;
  payload?: Payload;
  /** A source preset's delivery mapped to the archive's message (JSON bytes). */
  mapped?: Buffer | undefined;
  /** A handshake the sender expects answered (Slack's url_verification), not archived. */
  reply?: Record<string, unknown>;
  /** The request span's traceparent (tracing on, sampled), stored with the receipt. */
  traceparent?: string | undefined;
  /** The receipt an accepted answer carries, signed while its row is written (admit.ts onWriting). */
  presigned?: { facts: ReceiptSummary; receipt: Promise<Receipt> };
}

/** What the steps share across requests: the server's dependencies, and per-address upload slots. */
interface IngestEnv {
  deps: ServerDeps;
  anonymousUploads: UploadSlots;
}

type Step = (s: IngestState, env: IngestEnv) => void | Promise<void>;

const allowlist: Step = (s) => {
  const list = s.endpoint.ipAllowlist;
  if (list.length > 0 && !(s.ip && ipInCidrs(s.ip, list))) {
    throw new HttpError(
      'ip_not_allowed',
      "source IP is not in this endpoint's allowlist",
      {},
      undefined,
      `ip_not_allowed ${s.ip ?? 'unknown'}`,
    );
  }
};

const bearer: Step = (s) => {
  checkBearer(s.req.headers, s.secret);
  s.authenticated = true;
};

/** Before a body we can't yet attribute (its signature is in it): one of a few slots per address. */
const anonymousUpload: Step = (s, { anonymousUploads }) => {
  if (s.uploadSlotTaken) return;
  anonymousUploads.enter(s.req, s.res, s.ip);
  s.uploadSlotTaken = true;
};

const readBody: Step = async (s) => {
  if (s.raw) return; // read already, before a re-check against the endpoint as it is now
  try {
    s.raw = await readBodyCapped(s.req, MAX_BODY_BYTES);
  } catch (err) {
    s.bodyFailed = true;
    throw err;
  }
};

const hmac: Step = (s) => {
  checkHmac(s.req.headers, s.secret, body(s));
  s.authenticated = true;
};

/** A SaaS tool's own signature scheme (Standard Webhooks, GitHub, Stripe…): see sources/. */
const preset: Step = (s) => {
  verifyDelivery(s.endpoint, s.req.headers, body(s), s.secret, s.receivedAt);
  s.authenticated = true;
};

const rate: Step = async (s, { deps }) => {
  const { id, rateLimitPerSecond, rateLimitBurst } = s.endpoint;
  const rl = await deps.rateLimiter.acquire(
    id,
    { ratePerSecond: rateLimitPerSecond, burst: rateLimitBurst },
    disconnectSignal(s.res),
  );
  if (!rl.ok) {
    throw new HttpError('rate_limited', 'rate limit exceeded for this endpoint; retry with backoff', {
      'retry-after': String(rl.retryAfterSeconds),
    });
  }
};

/** The contract's payload, or a source preset's delivery mapped to it. */
const parse: Step = (s) => {
  const parsed = parseDelivery(s.endpoint, s.req.headers, body(s), s.receivedAt);
  if ('reply' in parsed) {
    s.reply = parsed.reply;
    return;
  }
  if (!parsed.ok) {
    if (parsed.code === 'invalid_json') throw new HttpError('invalid_json', parsed.message);
    throw new HttpError('validation_failed', parsed.message, {}, parsed.issues);
  }
  checkInlineAttachmentHashes(parsed.payload);
  s.payload = parsed.payload;
  s.mapped = parsed.mapped;
};

/**
 * The steps after resolve and allowlist, per auth mode. Bearer is checked before the body is
 * read (an unauthenticated client never makes us buffer 10 MB); HMAC needs the body. The rate
 * limit comes right after authentication either way: unauthenticated traffic never spends the
 * producer's budget, and a request that will be refused is never buffered.
 */
const PIPELINES: Record<AuthMode, Step[]> = {
  bearer: [bearer, rate, readBody, parse],
  hmac: [anonymousUpload, readBody, hmac, rate, parse],
};
/** Source presets sign the body, like HMAC. */
const PRESET_PIPELINE: Step[] = [anonymousUpload, readBody, preset, rate, parse];

const pipelineFor = (endpoint: Endpoint) =>
  endpoint.source === 'comma' ? PIPELINES[endpoint.authMode] : PRESET_PIPELINE;

/** Runs the checks, then admits the message; undefined when the request was a handshake. */
async function checkAndAdmit(
  s: IngestState,
  env: IngestEnv,
  admitDeps: AdmitDeps,
): Promise<AdmitResult | undefined> {
  for (const step of [allowlist, ...pipelineFor(s.endpoint)]) await step(s, env);
  if (s.reply) return undefined;
  const raw = body(s);
  s.rawSha256 = sha256Hex(raw);
  return admitMessage(admitDeps, {
    tenantId: s.endpoint.tenantId,
    endpointId: s.endpoint.id,
    endpointRevision: s.endpoint.revision,
    authMode: s.endpoint.authMode,
    retentionDays: s.retentionDays,
    externalId: s.payload!.external_id,
    raw,
    rawSha256: s.rawSha256,
    requestId: s.requestId,
    receivedAt: s.receivedAt,
    sourceIp: s.ip,
    payload: s.mapped,
    requestHeaders: evidenceHeaders(s.endpoint, s.req.headers),
    traceparent: s.traceparent,
    onWriting: (facts) => {
      const receipt = signReceiptFor(env.deps, s, facts);
      receipt.catch(() => {}); // unused when the write fails; the answer then is no 200 anyway
      s.presigned = { facts, receipt };
    },
  });
}

/**
 * Signed evidence of receipt. Its facts are the receipt row's: the request's own when accepted,
 * the original's (its time, its hash) for a duplicate.
 */
function signReceiptFor(deps: ServerDeps, s: IngestState, facts: ReceiptSummary): Promise<Receipt> {
  return deps.receiptSigner.sign({
    messageId: facts.id,
    externalId: s.payload!.external_id,
    endpointId: s.endpoint.id,
    tenantId: s.endpoint.tenantId,
    rawSha256: facts.rawSha256,
    receivedAt: facts.receivedAt,
  });
}

export function createIngestHandler(deps: ServerDeps) {
  const { config, log } = deps;
  const admitDeps: AdmitDeps = {
    db: deps.db,
    receipts: deps.receipts,
    relay: deps.relay,
    backlog: deps.backlog,
    worm: deps.worm,
    inlineBodyMaxBytes: config.INLINE_BODY_MAX_BYTES,
    relayGraceMs: config.RELAY_GRACE_MS,
  };
  const endpoints = new EndpointCache(deps.db, deps.secretBox, {
    maxEntries: config.ENDPOINT_CACHE_MAX_ENTRIES,
    ttlMs: config.ENDPOINT_CACHE_TTL_MS,
    timeoutMs: config.INGEST_DB_TIMEOUT_MS,
  });
  const env: IngestEnv = { deps, anonymousUploads: new UploadSlots(config.UNAUTHENTICATED_UPLOADS_PER_IP) };

  return async function handleIngest(req: IncomingMessage, res: ServerResponse, token: string) {
    const started = performance.now();
    // With tracing on, one SERVER span per request; its traceparent goes with the receipt.
    const span = tracing()?.startIngest(req);
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    const receivedAt = new Date();
    let endpointId: string | undefined;
    let s: IngestState | undefined;
    // What the request log and metrics see: the answer, and what the steps had learned by then.
    let answer: { status: number; code: string } | HttpError | undefined;
    let workflowId: string | undefined;
    try {
      if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'use POST', { allow: 'POST' });
      let resolved = await endpoints.resolve(token);
      const ip = clientIp(req, config.TRUSTED_PROXIES);
      let result: AdmitResult | undefined;
      for (let attempt = 1; ; attempt++) {
        const { endpoint, retentionDays, secret } = resolved;
        endpointId = endpoint.id;
        s = {
          ...s,
          req,
          res,
          requestId,
          receivedAt,
          ip,
          endpoint,
          retentionDays,
          secret,
          authenticated: false,
          traceparent: span?.traceparent,
        };
        try {
          result = await checkAndAdmit(s, env, admitDeps);
          break;
        } catch (err) {
          // Cached settings said no, or the endpoint changed under the request: look again, and
          // check the request against the endpoint as it is now (the body is already read).
          const recheck =
            (err instanceof StaleEndpointError && attempt < 3) ||
            (err instanceof HttpError && resolved.cached && !s.bodyFailed);
          if (!recheck) throw err;
          const fresh = await endpoints.fresh(token);
          if (err instanceof HttpError && fresh.endpoint.revision === endpoint.revision) throw err;
          resolved = fresh;
        }
      }
      if (!result) {
        answer = { status: 200, code: 'handshake' };
        return sendJson(res, 200, s.reply);
      }
      const externalId = s.payload!.external_id;
      workflowId = result.workflowId;
      // No receipt, no 200: a signer that cannot sign makes this a 503 (the row is durable, so
      // the producer's retry is answered as a duplicate, with its receipt). An accepted message's
      // receipt was signed while its row was written; a duplicate's is signed now.
      const { presigned } = s;
      const receipt = await (presigned?.facts === result.receipt
        ? presigned.receipt
        : signReceiptFor(deps, s, result.receipt));
      answer = { status: 200, code: result.status };
      sendJson(res, 200, {
        status: result.status,
        message_id: result.messageId,
        external_id: externalId,
        workflow_id: result.workflowId,
        receipt,
      });
      // Debug, not info: at thousands of acks a second a line each is real CPU and volume, and
      // every ack is already on record (its receipt row; the request log, sampled).
      log.debug(
        { requestId, endpointId, status: 200, outcome: result.status, ms: elapsed(started) },
        'webhook acknowledged',
      );
    } catch (err) {
      if (isAbortError(err)) return; // the client hung up while queued: nobody to answer
      const httpErr =
        err instanceof HttpError
          ? err
          : new HttpError(
              'unavailable',
              'the archive is temporarily unavailable; retry later',
              { 'retry-after': '5' },
              undefined,
              `unavailable: ${errorKind(err)}`,
            );
      if (!(err instanceof HttpError))
        log.error({ err, requestId, endpointId }, 'ingest failed; answered 503');
      else
        log.info(
          { requestId, endpointId, status: httpErr.status, code: httpErr.code, ms: elapsed(started) },
          'webhook refused',
        );
      answer = httpErr;
      // Sent through respond.ts, which drains the rest of an unread body before closing, so
      // every client can read the answer.
      sendError(res, httpErr);
    } finally {
      span?.end(res.statusCode, {
        'webhook_archive.request_id': requestId,
        ...(endpointId ? { 'webhook_archive.endpoint_id': endpointId } : {}),
        ...(answer ? { 'webhook_archive.code': answer.code } : {}),
        ...(workflowId ? { 'webhook_archive.workflow_id': workflowId } : {}),
      });
      observeIngest(deps, {
        req,
        requestId,
        receivedAt,
        startedAtMs: started,
        authenticated: s?.authenticated ?? false,
        ...(s ? { endpoint: s.endpoint, sourceIp: s.ip } : {}),
        ...(s?.raw ? { body: s.raw, bodySha256: s.rawSha256 } : {}),
        ...(answer ? { answer } : {}),
      });
    }
  };
}

function body(s: IngestState): Buffer {
  if (!s.raw) throw new Error('ingest pipeline: a step needs the body before it was read');
  return s.raw;
}

/** A class name or error code for the request log: never a message, which may quote data. */
function errorKind(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  return String(
    (typeof e?.code === 'string' && e.code) || (typeof e?.name === 'string' && e.name) || 'Error',
  );
}

const elapsed = (t: number) => Math.round((performance.now() - t) * 10) / 10;
