// Ties a queued acquire() to the HTTP exchange: when the client goes away before we answer, the
// request leaves the rate-limit queue instead of holding a place (and a token) for nobody.
import type { ServerResponse } from 'node:http';

/** Aborts (AbortError) if the connection closes before the response has been sent. */
export function disconnectSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'));
  });
  return controller.signal;
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}
