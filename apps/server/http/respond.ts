// JSON responses and the error shape every client sees: {"error":{"code","message"}}.
import type { ServerResponse } from 'node:http';
import { bodyPending, writeThenDrain } from './drain';

export interface ErrorIssue {
  path: string;
  message: string;
}

/**
 * Every error code a client can see, and the status it is sent with (as unkey's codeToStatus):
 * the README's status table is this table. An HttpError is built from its code alone.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  signature_expired: 401,
  endpoint_disabled: 403,
  ip_not_allowed: 403,
  forbidden: 403,
  csrf_failed: 403,
  endpoint_not_found: 404,
  not_found: 404,
  oidc_not_configured: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  not_stored: 409,
  // An export bundle deleted after EXPORT_RETENTION_DAYS: gone for good (create a new export).
  export_expired: 410,
  payload_too_large: 413,
  validation_failed: 422,
  rate_limited: 429,
  too_many_uploads: 429,
  too_many_failed_attempts: 429,
  internal_error: 500,
  unavailable: 503,
  backlog_full: 503,
  // Single sign-on is configured for a tenant that does not exist: the operator's to fix.
  tenant_not_found: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A client-facing failure: machine-readable code, human message. Never a stack trace. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly issues?: ErrorIssue[],
    /** For the request log (operators only): the precise why, e.g. `signature_mismatch`. Defaults to `code`. */
    readonly reason?: string,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  // Answered before the body is in (an early error): the client may still be writing.
  const pending = bodyPending(res.req);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
    ...(pending ? { connection: 'close' } : {}),
  });
  if (pending) writeThenDrain(res.req, res, payload);
  else res.end(payload);
}

export function sendError(res: ServerResponse, err: HttpError) {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  sendJson(res, err.status, err.issues ? { error, issues: err.issues } : { error }, err.headers);
}
