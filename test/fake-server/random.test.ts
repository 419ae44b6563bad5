import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/fake-server/random.js';

describe('seededRandom', () => {
  it('gives the published mulberry32 sequence, so a seed replays on any machine', () => {
    // First outputs of the reference mulberry32 (bryc's) for seed 42.
    const random = seededRandom(42);
    expect([random(), random(), random()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099,
    ]);
  });

  it('depends only on the seed, taken as an unsigned 32-bit integer', () => {
    const take = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => random());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    expect(take(-1)).toEqual(take(0xffffffff));
  });

  it('spreads its numbers over [0, 1)', () => {
    const random = seededRandom(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      buckets[Math.floor(value * 10)]! += 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(800);
  });
});
