// Answering before the request body has arrived (401, 404, 413, 429, …) and closing at once makes
// the kernel reset the connection while the client is still writing: clients that send the whole
// body before reading (python urllib, Java HttpClient, Node fetch with a stream) then see
// EPIPE/ECONNRESET instead of our status, and retry forever. So the answer is written at once,
// but the response is ended, and the socket closed, only once the rest of the body has been read
// and discarded, or a bound is hit (the body pace, and `drainMaxBytes`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyPaceOf, watchPace } from './body-pace';

/** True while the client may still be sending body bytes we have not read. */
export function bodyPending(req: IncomingMessage | undefined): req is IncomingMessage {
  return !!req && !req.complete && !req.destroyed;
}

/**
 * Writes `payload` (the whole response body: headers must carry its Content-Length and
 * `connection: close`), then reads and discards the rest of the request body before ending the
 * response. Past the bounds the socket is destroyed: whoever sends that much or that slowly after
 * an error is not waiting for an answer.
 */
export function writeThenDrain(req: IncomingMessage, res: ServerResponse, payload: string): void {
  const pace = bodyPaceOf(req);
  res.write(payload);
  let drained = 0;
  const finish = (cut: boolean) => {
    watch.stop();
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onEnd);
    res.end();
    if (cut) req.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    watch.received(chunk.length);
    if (drained > pace.drainMaxBytes) finish(true);
  };
  const onEnd = () => finish(false);
  const watch = watchPace(pace, () => finish(true));
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', onEnd);
  req.resume();
}
