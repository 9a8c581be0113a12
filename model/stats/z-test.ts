// Two-proportion z-test, Evidently's `z` drift test for columns with at most
// two distinct values: compares the share of the second category (in sorted
// order) between reference and current, with the pooled standard error.

import { normalTwoSidedSf } from './distributions.ts';
import { requireSameLength, requireWeights } from './validate.ts';

export interface ZTestResult {
  /** (p_reference - p_current) / pooled standard error, p = share of the second category. */
  statistic: number;
  pvalue: number;
}

/**
 * `referenceCounts` and `currentCounts` hold the counts of the first and (if
 * any) second category. When only one category occurs at all, Evidently
 * reports p = 1 without a statistic; the statistic is 0 here.
 */
export function proportionsZTest(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ZTestResult {
  requireSameLength(referenceCounts, currentCounts, 'proportionsZTest', 'referenceCounts and currentCounts');
  if (referenceCounts.length > 2) {
    throw new RangeError(
      `proportionsZTest: compares at most 2 categories (got ${referenceCounts.length}); use chiSquare for more`,
    );
  }
  const n1 = requireWeights(referenceCounts, 'proportionsZTest', 'referenceCounts');
  const n2 = requireWeights(currentCounts, 'proportionsZTest', 'currentCounts');
  const p1 = (referenceCounts[1] ?? 0) / n1;
  const p2 = (currentCounts[1] ?? 0) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  if (pooled === 0 || pooled === 1) return { statistic: 0, pvalue: 1 };
  const statistic = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // Evidently computes 2 * (1 - norm.cdf(|z|)); the same value, without the
  // cancellation that rounds it to 0 beyond |z| ~ 8.
  return { statistic, pvalue: normalTwoSidedSf(statistic) };
}
