// Ties a queued acquire() to the HTTP exchange: when the client goes away before we answer, the
// request leaves the rate-limit queue instead of holding a place (and a token) for nobody.
import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// One signal per connection, not per request: an AbortController costs ~3 µs to make (about 1 %
// of an ack), and a kept-alive producer sends many requests on one connection. Each request
// only waits on it while it is queued (the limiters remove their listener once served), so a
// connection that closes after its answers were sent aborts nothing.
const connections = new WeakMap<Socket, AbortSignal>();

/** Aborts (AbortError) once the request's connection is closed; already aborted if it is. */
export function disconnectSignal(res: ServerResponse): AbortSignal {
  // The request's socket: a pipelined request's response has none until the ones before it are sent.
  const socket = res.req.socket;
  if (socket.destroyed) return AbortSignal.abort(disconnected());
  let signal = connections.get(socket);
  if (!signal) {
    const controller = new AbortController();
    socket.once('close', () => controller.abort(disconnected()));
    signal = controller.signal;
    // Pipelined requests on one connection may all be queued at once, each listening: not a leak.
    setMaxListeners(0, signal);
    connections.set(socket, signal);
  }
  return signal;
}

const disconnected = () => new DOMException('client disconnected', 'AbortError');

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}
