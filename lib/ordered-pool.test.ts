import { describe, expect, it } from 'vitest';
import { orderedPool } from './ordered-pool';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('orderedPool', () => {
  it('yields in the list order while running at most `limit` at once', async () => {
    let active = 0;
    let peak = 0;
    const out: number[] = [];
    const items = Array.from({ length: 20 }, (_, i) => i);
    for await (const v of orderedPool(items, 4, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await sleep((20 - i) % 7); // later items often finish first
      active--;
      return i * 10;
    }))
      out.push(v);
    expect(out).toEqual(items.map((i) => i * 10));
    expect(peak).toBe(4);
  });

  it('throws the first failure in order, after every started item has settled', async () => {
    const finished: number[] = [];
    const run = async () => {
      for await (const _ of orderedPool([0, 1, 2, 3], 4, async (i) => {
        await sleep(i === 1 ? 1 : 20);
        finished.push(i);
        if (i === 1 || i === 3) throw new Error(`item ${i}`);
        return i;
      }));
    };
    await expect(run()).rejects.toThrow('item 1');
    expect(finished.sort()).toEqual([0, 1, 2, 3]);
  });
});
