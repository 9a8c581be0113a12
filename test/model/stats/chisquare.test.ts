import { describe, expect, it } from 'vitest';
import { chiSquare, proportionsZTest } from '../../../model/stats/index.ts';
import { expectClose } from './close.ts';

describe('chiSquare', () => {
  it('scales the reference counts to the current total (Evidently) and matches scipy.stats.chisquare', () => {
    // chisquare([40, 30, 25], [50, 30, 20] * 95 / 100) in scipy.
    const r = chiSquare([50, 30, 20], [40, 30, 25]);
    expectClose(r.statistic, 3.1578947368421053, 1e-12);
    expectClose(r.pvalue, 0.20619202825140892, 1e-10);
    expect(r.df).toBe(2);
  });

  it('reports a category never seen in reference as certain drift, not NaN', () => {
    // scipy: statistic inf, p-value 0 (with a divide-by-zero warning).
    expect(chiSquare([50, 30, 20, 0], [40, 30, 25, 5])).toEqual({ statistic: Infinity, pvalue: 0, df: 3 });
  });

  it('leaves out categories absent from both samples', () => {
    expect(chiSquare([50, 0, 30, 20], [40, 0, 30, 25])).toEqual(chiSquare([50, 30, 20], [40, 30, 25]));
  });

  it('keeps a category that disappeared from current', () => {
    const r = chiSquare([10, 10, 10], [15, 15, 0]);
    expect(r.df).toBe(2);
    expectClose(r.statistic, 15, 1e-15);
  });

  it('explains inputs it cannot test', () => {
    expect(() => chiSquare([5, 0], [3, 0])).toThrow('chiSquare: needs at least 2 categories');
    expect(() => chiSquare([1, 2], [1, 2, 3])).toThrow('chiSquare: referenceCounts and currentCounts must have the same length');
    expect(() => chiSquare([0, 0], [1, 2])).toThrow('chiSquare: referenceCounts sums to 0');
    expect(() => chiSquare([1, NaN], [1, 2])).toThrow('chiSquare: referenceCounts[1] is NaN');
    expect(() => chiSquare([], [])).toThrow('chiSquare: referenceCounts is empty');
  });
});

describe('proportionsZTest', () => {
  it('matches Evidently on the share of the second category', () => {
    // Evidently's proportions_diff_z_stat_ind / proportions_diff_z_test on 30:70 vs 50:50.
    const r = proportionsZTest([30, 70], [50, 50]);
    expectClose(r.statistic, 2.886751345948128, 1e-14);
    expectClose(r.pvalue, 0.0038924171227785465, 1e-12);
  });

  it('keeps precision in the far tail where 1 - cdf would round to 0', () => {
    // Evidently returns 0 here; 2 * norm.sf(|z|) in scipy is 1.2880183602379105e-19.
    const r = proportionsZTest([1, 99], [60, 40]);
    expectClose(r.statistic, 9.061387268962612, 1e-14);
    expectClose(r.pvalue, 1.2880183602379105e-19, 1e-10);
  });

  it('gives p = 1 when a single category occurs in both samples', () => {
    expect(proportionsZTest([20], [30])).toEqual({ statistic: 0, pvalue: 1 });
    expect(proportionsZTest([20, 0], [30, 0])).toEqual({ statistic: 0, pvalue: 1 });
  });

  it('refuses more than two categories', () => {
    expect(() => proportionsZTest([1, 2, 3], [1, 2, 3])).toThrow('use chiSquare for more');
  });
});
