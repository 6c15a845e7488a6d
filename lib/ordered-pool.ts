// Work on a list with at most `limit` items in flight, results in the list's order: for I/O-bound
// steps (object reads, file writes) whose output must still be written in sequence.

/**
 * Starts fn on each item, at most `limit` at once, and resolves to the results in order. When one
 * fails, the rest that have started are awaited (none left running behind the caller's back)
 * before the first failure, in list order, is thrown.
 */
export async function* orderedPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  let active = 0;
  const waiting: (() => void)[] = [];
  const run = async (item: T): Promise<R> => {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn(item);
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  const results = items.map(run);
  for (const r of results) r.catch(() => {}); // awaited below, in order; never unhandled
  try {
    for (const r of results) yield await r;
  } finally {
    // A failure, or a consumer that stopped early: let what started finish before returning.
    await Promise.allSettled(results);
  }
}
