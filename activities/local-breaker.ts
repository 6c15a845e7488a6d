// While a local activity runs, it holds the workflow task — and so one of the worker's
// workflow-task slots. An attempt against a dependency that is down still takes seconds (the
// S3 client's and the store's own retries, connect timeouts), so during an outage every message
// would pin a slot for that long, attempt after attempt, and with few slots archiving stalls
// for everything, not just for what needs the broken dependency. The breaker: once an activity
// failed on infrastructure (locally or as a regular activity), its *local* attempts fail at once
// for a while with DependencyUnavailable; the workflow then goes straight to the regular
// activity, whose attempts and backoff the Temporal server schedules without holding a slot
// (activity slots are separate, and a failing attempt is over as soon as it fails). A success
// closes it; after the window a local attempt probes again.

const DEFAULT_WINDOW_MS = 10_000;

export class LocalAttemptBreaker {
  private readonly openUntil = new Map<string, number>();

  constructor(
    private readonly windowMs = DEFAULT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Should a local attempt of `activity` be skipped right now? */
  isOpen(activity: string): boolean {
    const until = this.openUntil.get(activity);
    return until !== undefined && until > this.now();
  }

  failed(activity: string): void {
    this.openUntil.set(activity, this.now() + this.windowMs);
  }

  succeeded(activity: string): void {
    this.openUntil.delete(activity);
  }
}
