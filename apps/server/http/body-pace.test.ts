import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type SlowReason, watchPace } from './body-pace';

const pace = { idleMs: 500, graceMs: 600, minBytesPerSecond: 10_000, drainMaxBytes: 0 };

function watched() {
  const started = performance.now();
  const seen: { reason: SlowReason; at: number }[] = [];
  const w = watchPace(pace, (reason) => seen.push({ reason, at: performance.now() - started }));
  return { w, seen };
}

describe('watchPace', () => {
  it('gives up on a body that sends nothing at the first bound it breaks (idle)', async () => {
    const { w, seen } = watched();
    await sleep(1200);
    w.stop();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.reason).toBe('idle'); // the idle bound (500 ms) comes before the grace (600 ms)
    expect(seen[0]!.at).toBeGreaterThanOrEqual(490);
  });

  it('calls a trickle that never stalls too slow after the grace', async () => {
    const { w, seen } = watched();
    for (let i = 0; i < 12 && seen.length === 0; i++) {
      w.received(10); // 100 bytes/s, far below 10,000
      await sleep(100);
    }
    w.stop();
    expect(seen.map((s) => s.reason)).toEqual(['too_slow']);
    expect(seen[0]!.at).toBeGreaterThanOrEqual(590);
  });

  it('leaves a body alone that keeps the rate', async () => {
    const { w, seen } = watched();
    for (let i = 0; i < 10; i++) {
      w.received(20_000); // 200,000 bytes/s: far above the rate, whatever the machine's load
      await sleep(100);
    }
    w.stop();
    expect(seen).toEqual([]);
  });
});
