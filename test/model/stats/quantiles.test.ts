import { describe, expect, it } from 'vitest';
import { modeSorted, quantileSorted } from '../../../model/stats/index.ts';

// Expected values from numpy 2.4.6 (np.quantile, default 'linear') and pandas' Series.mode()[0].
describe('quantileSorted and modeSorted', () => {
  const sample = Float64Array.from([3.5, 1.25, 9.0, 2.0, 2.0, 7.75, 4.0]).sort();

  it('interpolates between order statistics as numpy.quantile does', () => {
    expect([0, 0.05, 0.25, 0.5, 0.75, 0.95, 1].map((q) => quantileSorted(sample, q))).toEqual([1.25, 1.475, 2.0, 3.5, 5.875, 8.625, 9.0]);
  });

  it('gives the most frequent value, the smallest on a tie, as pandas mode()[0]', () => {
    expect(modeSorted(sample)).toEqual({ value: 2, count: 2 });
    expect(modeSorted(Float64Array.from([1, 2, 2, 1, 3]).sort())).toEqual({ value: 1, count: 2 });
  });

  it('names the problem on an empty sample or a q outside [0, 1]', () => {
    expect(() => quantileSorted(new Float64Array(0), 0.5)).toThrow(/empty/);
    expect(() => quantileSorted(sample, 1.5)).toThrow(/q must be in \[0, 1\]/);
    expect(() => modeSorted([])).toThrow(/empty/);
  });
});
