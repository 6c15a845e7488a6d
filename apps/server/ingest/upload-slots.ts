// Concurrent unauthenticated uploads per source address (IPv6 per /64). On an HMAC endpoint the signature can only be
// checked once the whole body is in, so until then the sender is anonymous: without a cap one
// address could hold any number of sockets and buffers. 429 (not 503): the refusal is about this
// client's own behaviour, the server is healthy, and producers already back off on 429 +
// Retry-After; a 503 would also tell load balancers to eject a healthy instance.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../http/respond';
import { addressBucket } from '../http/source-address';

export class UploadSlots {
  private readonly inUse = new Map<string, number>();

  constructor(private readonly perIp: number) {}

  /** Takes a slot for `ip` until its body is in (or drained, or the client gone), or throws 429. */
  enter(req: IncomingMessage, res: ServerResponse, ip: string | null): void {
    const key = addressBucket(ip);
    const n = this.inUse.get(key) ?? 0;
    if (n >= this.perIp) {
      throw new HttpError(
        'too_many_uploads',
        `at most ${this.perIp} unauthenticated uploads at once from one address; retry shortly`,
        { 'retry-after': '1' },
      );
    }
    this.inUse.set(key, n + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      const left = (this.inUse.get(key) ?? 1) - 1;
      if (left <= 0) this.inUse.delete(key);
      else this.inUse.set(key, left);
    };
    // Not held while the message is admitted: only the upload is anonymous.
    req.once('end', release);
    req.once('close', release);
    res.once('close', release);
  }
}
