// A bound on how long a caller waits for a dependency. The work itself is not cancelled (a
// database write may still commit after its caller gave up), so only use it where the
// outcome is idempotent: the ack's receipt insert is, by its unique key.

export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
  readonly code = 'DEADLINE_EXCEEDED';
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
  }
}

export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
