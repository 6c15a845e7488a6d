// Failed admin-key attempts, per source address (source-address.ts: IPv6 per /64). A
// token bucket of failures: within the burst a wrong key gets 401, beyond it 429 + Retry-After.
// Only failures spend the budget and a correct key is checked before it, so a correct key is
// never locked out, even from an address that is being throttled. (The 256-bit keys are what
// resists guessing; the throttle makes guessing cheap for us and loud for the operator.)
// A burst is reported when it starts being throttled and once it is over, with its counts:
// the address and numbers only, never the key or anything derived from it.
import { HttpError } from './respond';

export interface FailureBudget {
  burst: number;
  perMinute: number;
}

export interface FailureBurst {
  source: string;
  failures: number;
  refused: number;
  firstAt: Date;
  lastAt: Date;
}

export interface BurstEvents {
  throttled(burst: FailureBurst): void;
  ended(burst: FailureBurst): void;
}

interface Bucket extends FailureBurst {
  tokens: number;
  at: number;
}

const MAX_TRACKED = 100_000;

export class AdminAuthThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly budget: FailureBudget,
    private readonly events: BurstEvents,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = budget.perMinute / 60_000;
    // A burst is over once its bucket is full again; look for those at that time scale.
    const refillMs = budget.burst / this.perMs;
    this.sweeper = setInterval(() => this.sweep(), Math.min(30_000, Math.max(250, refillMs / 2)));
    this.sweeper.unref();
  }

  /** Records a failed attempt; the answer is 401 within the budget, else 429 with Retry-After. */
  fail(source: string): HttpError {
    const b = this.bucket(source);
    b.failures += 1;
    b.lastAt = new Date();
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return new HttpError('unauthorized', 'missing or invalid admin API key');
    }
    b.refused += 1;
    if (b.refused === 1) this.events.throttled(burstOf(b));
    const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
    return new HttpError(
      'too_many_failed_attempts',
      `too many failed admin key attempts from this address; retry after ${retryAfter} s`,
      { 'retry-after': String(retryAfter) },
    );
  }

  /** Ends the bursts whose bucket has refilled; reports those that were throttled. */
  sweep(): void {
    for (const [source, b] of this.buckets) {
      this.refill(b);
      if (b.tokens >= this.budget.burst) this.drop(source, b);
    }
  }

  /** Stops the sweeper. Open bursts are not reported: their start already was. */
  close(): void {
    clearInterval(this.sweeper);
    this.buckets.clear();
  }

  private bucket(source: string): Bucket {
    let b = this.buckets.get(source);
    if (b) {
      this.refill(b);
      return b;
    }
    if (this.buckets.size >= MAX_TRACKED) {
      const [oldest, ob] = this.buckets.entries().next().value as [string, Bucket];
      this.drop(oldest, ob);
    }
    const at = new Date();
    b = {
      source,
      failures: 0,
      refused: 0,
      firstAt: at,
      lastAt: at,
      tokens: this.budget.burst,
      at: this.now(),
    };
    this.buckets.set(source, b);
    return b;
  }

  private refill(b: Bucket) {
    const t = this.now();
    b.tokens = Math.min(this.budget.burst, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
  }

  private drop(source: string, b: Bucket): void {
    this.buckets.delete(source);
    if (b.refused > 0) this.events.ended(burstOf(b));
  }
}

const burstOf = ({ source, failures, refused, firstAt, lastAt }: Bucket): FailureBurst => ({
  source,
  failures,
  refused,
  firstAt,
  lastAt,
});
