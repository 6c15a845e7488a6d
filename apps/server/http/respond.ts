// JSON responses and the error shape every client sees: {"error":{"code","message"}}.
import type { ServerResponse } from 'node:http';

export interface ErrorIssue {
  path: string;
  message: string;
}

/** A client-facing failure: status, machine-readable code, human message. Never a stack trace. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly issues?: ErrorIssue[],
    /** For the request log (operators only): the precise why, e.g. `signature_mismatch`. Defaults to `code`. */
    readonly reason?: string,
  ) {
    super(message);
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
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, err: HttpError) {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  sendJson(res, err.status, err.issues ? { error, issues: err.issues } : { error }, err.headers);
}
