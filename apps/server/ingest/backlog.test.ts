import { describe, expect, it } from 'vitest';
import { refreshDelayMs } from './backlog';

describe('backlog refresh interval', () => {
  it('stays at the base interval while the aggregate is cheap', () => {
    expect(refreshDelayMs(500, 0)).toBe(500);
    expect(refreshDelayMs(500, 25)).toBe(500);
  });

  it('stretches so the aggregate takes at most 5 % of the time, up to 10 s', () => {
    expect(refreshDelayMs(500, 40)).toBe(800);
    expect(refreshDelayMs(500, 200)).toBe(4000);
    expect(refreshDelayMs(500, 5000)).toBe(10_000);
  });
});
