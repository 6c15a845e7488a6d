// JSON responses and the error shape every client sees: {"error":{"code","message"}}.
import type { ServerResponse } from 'node:http';
import { bodyPending, writeThenDrain } from './drain';

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
