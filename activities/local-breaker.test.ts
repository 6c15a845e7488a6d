import { describe, expect, it } from 'vitest';
import { LocalAttemptBreaker } from './local-breaker';

describe('LocalAttemptBreaker', () => {
  it('opens on a failure for the window, per activity; a success closes it', () => {
    let now = 1_000;
    const b = new LocalAttemptBreaker(10_000, () => now);
    expect(b.isOpen('seal')).toBe(false);
    b.failed('seal');
    expect(b.isOpen('seal')).toBe(true);
    expect(b.isOpen('prepare')).toBe(false);
    now += 9_999;
    expect(b.isOpen('seal')).toBe(true);
    now += 1;
    expect(b.isOpen('seal')).toBe(false); // the window is over: a local attempt probes again
    b.failed('seal');
    b.succeeded('seal');
    expect(b.isOpen('seal')).toBe(false);
  });
});
