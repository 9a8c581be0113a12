import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wassersteinDistance, wassersteinNormed } from '../../../model/stats/index.ts';
import { expectClose } from './close.ts';

const sample = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 50 });

describe('wassersteinDistance', () => {
  it('moves a sample shifted by c by exactly |c|', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: -500, max: 500 }), (u, c) => {
        const d = wassersteinDistance(u, u.map((x) => x + c));
        expect(Math.abs(d - Math.abs(c))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(c)));
      }),
    );
  });

  it('is symmetric, non-negative and 0 between a sample and its permutation', () => {
    fc.assert(
      fc.property(sample, sample, (u, v) => {
        const d = wassersteinDistance(u, v);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(wassersteinDistance(v, u)).toBe(d);
        expect(wassersteinDistance(u, [...u].reverse())).toBe(0);
      }),
    );
  });

  it('matches scipy on a small case with ties', () => {
    // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5, ([0, 0, 1], [1, 2]) == 1.1666...
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBe(5);
    expectClose(wassersteinDistance([0, 0, 1], [1, 2]), 7 / 6, 1e-15);
  });

  it('names empty and non-finite input', () => {
    expect(() => wassersteinDistance([], [1])).toThrow('wassersteinDistance: u is empty');
    expect(() => wassersteinDistance([1], [0, NaN])).toThrow('wassersteinDistance: v[1] is NaN');
  });
});

describe('wassersteinNormed', () => {
  it('divides by the population standard deviation of the reference', () => {
    // std([1, 2, 3, 4]) = sqrt(1.25); distance to the same shifted by 2 is 2.
    expectClose(wassersteinNormed([1, 2, 3, 4], [3, 4, 5, 6]), 2 / Math.sqrt(1.25), 1e-15);
  });

  it('floors the normalizer at 0.001 for a constant reference, as Evidently does', () => {
    expectClose(wassersteinNormed([5, 5, 5], [5, 5, 6]), (1 / 3) / 0.001, 1e-12);
    expect(wassersteinNormed([5, 5], [5])).toBe(0);
  });
});
