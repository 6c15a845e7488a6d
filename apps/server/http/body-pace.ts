// How slowly a request body may arrive. A body must never stall longer than `idleMs`, and after
// a short grace it must keep an average of `minBytesPerSecond`: a 10 MB body gets
// grace + 10 MB / rate (45 s by default), a 1 KB body about the grace alone. A slow-loris upload
// is therefore cut after seconds, not after the server's 120 s request timeout.
import type { IncomingMessage } from 'node:http';
import { type Config, loadConfig } from '../../../lib/config';

export interface BodyPace {
  idleMs: number;
  graceMs: number;
  minBytesPerSecond: number;
  /** After an early error, how much of the rest of the body we read and discard at most. */
  drainMaxBytes: number;
}

export function bodyPaceFrom(config: Config): BodyPace {
  return {
    idleMs: config.BODY_IDLE_TIMEOUT_MS,
    graceMs: config.BODY_GRACE_MS,
    minBytesPerSecond: config.BODY_MIN_BYTES_PER_SECOND,
    drainMaxBytes: config.DRAIN_MAX_BYTES,
  };
}

/** lib/config.ts's defaults, for a request no server attached a pace to. */
export const DEFAULT_BODY_PACE: BodyPace = bodyPaceFrom(loadConfig({}));

// Request-scoped, set once by the HTTP server: the body reader and the drain both find it here,
// so neither the handler nor the error path has to carry configuration around.
const paces = new WeakMap<IncomingMessage, BodyPace>();

export function attachBodyPace(req: IncomingMessage, pace: BodyPace): void {
  paces.set(req, pace);
}

export function bodyPaceOf(req: IncomingMessage): BodyPace {
  return paces.get(req) ?? DEFAULT_BODY_PACE;
}

export type SlowReason = 'idle' | 'too_slow';

export interface PaceWatch {
  /** Call for every chunk received. Cheap: no timer is touched. */
  received(bytes: number): void;
  stop(): void;
}

const NOTHING_TO_WATCH: PaceWatch = { received() {}, stop() {} };

/** The pace watch for reading `req`'s body; none when the whole body is already in (the usual small body). */
export function watchBody(req: IncomingMessage, onSlow: (reason: SlowReason) => void): PaceWatch {
  return req.complete ? NOTHING_TO_WATCH : watchPace(bodyPaceOf(req), onSlow);
}

/**
 * Calls `onSlow` once when the body stalls or falls behind the minimum rate. One timer, set to
 * the earliest moment either bound could be broken and re-armed lazily when it fires, so a fast
 * body costs two additions per chunk.
 */
export function watchPace(pace: BodyPace, onSlow: (reason: SlowReason) => void): PaceWatch {
  const start = performance.now();
  let last = start;
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const idleAt = last + pace.idleMs;
    const rateAt = start + pace.graceMs + (total * 1000) / pace.minBytesPerSecond;
    const now = performance.now();
    const due = Math.min(idleAt, rateAt);
    if (now >= due) {
      timer = undefined;
      onSlow(idleAt <= rateAt ? 'idle' : 'too_slow');
      return;
    }
    timer = setTimeout(arm, Math.ceil(due - now));
    timer.unref();
  };
  arm();
  return {
    received(bytes) {
      total += bytes;
      last = performance.now();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
