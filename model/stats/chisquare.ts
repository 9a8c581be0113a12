// Pearson's chi-square test of current category counts against the reference
// distribution, built as Evidently's `chisquare` drift test builds it:
// expected = reference_counts * (n_current / n_reference), then
// scipy.stats.chisquare(current_counts, expected).

import { chiSquareSf } from './distributions.ts';
import { requireSameLength, requireWeights } from './validate.ts';

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  /** Categories compared minus one. */
  df: number;
}

/**
 * Chi-square test of `currentCounts` against `referenceCounts` (same category order).
 *
 * - A category with zero count in both samples is left out: Evidently only
 *   ever lists categories it has seen, so this matches it, and scipy would
 *   otherwise turn the 0/0 term into NaN.
 * - A category seen in current but never in reference has expected count 0:
 *   its term, and so the statistic, is Infinity and the p-value 0 (what scipy
 *   returns), i.e. drift. Infinity serializes to null in JSON.
 */
export function chiSquare(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  requireSameLength(referenceCounts, currentCounts, 'chiSquare', 'referenceCounts and currentCounts');
  const referenceTotal = requireWeights(referenceCounts, 'chiSquare', 'referenceCounts');
  const currentTotal = requireWeights(currentCounts, 'chiSquare', 'currentCounts');
  const scale = currentTotal / referenceTotal;
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const observed = currentCounts[i];
    if (referenceCounts[i] === 0 && observed === 0) continue;
    categories++;
    const expected = referenceCounts[i] * scale;
    statistic += (observed - expected) ** 2 / expected;
  }
  if (categories < 2) {
    throw new RangeError(
      `chiSquare: needs at least 2 categories observed in reference or current (got ${categories}); use the z-test for fewer`,
    );
  }
  const df = categories - 1;
  return { statistic, pvalue: chiSquareSf(statistic, df), df };
}
