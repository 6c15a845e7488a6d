// Reads a request body into memory with a hard cap counted as bytes arrive: a lying or absent
// Content-Length cannot make us buffer more than the cap.
import type { IncomingMessage } from 'node:http';
import { type SlowReason, watchBody } from '../http/body-pace';
import { HttpError } from '../http/respond';

export function tooLarge(max: number) {
  return new HttpError('payload_too_large', `request body exceeds ${max} bytes`, {
    connection: 'close',
  });
}

export function tooSlow(reason: SlowReason) {
  const why = reason === 'idle' ? 'stalled' : 'arrived too slowly';
  return new HttpError('request_timeout', `request body ${why}; send it at once`, {
    connection: 'close',
  });
}

export function readBodyCapped(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(tooLarge(max));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Slow bodies are bounded here, not by the server's request timeout (see body-pace.ts).
    const pace = watchBody(req, (reason) => {
      cleanup();
      req.pause();
      reject(tooSlow(reason));
    });
    const cleanup = () => {
      pace.stop();
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      pace.received(chunk.length);
      if (size > max) {
        cleanup();
        req.pause();
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpError('bad_request', `could not read request body: ${err.message}`));
    };
    const onAborted = () => onError(new Error('client aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
