// Population Stability Index and the binning Evidently's `psi` drift test
// feeds it (evidently/calculations/stattests/utils.py get_binned_data):
// numeric columns with more than 20 distinct reference values get 'sturges'
// bins over reference and current together, anything else one bin per
// distinct value; empty bins are then given a small share so the logarithm
// stays finite.

import { histogramBinEdges, histogramCounts } from './bin-edges.ts';
import { type Category, countCategories } from './categories.ts';
import { requireFinite, requireNonEmpty, requireSameLength } from './validate.ts';

/** Evidently treats a numeric column with at most this many distinct reference values as discrete. */
const MAX_DISCRETE_VALUES = 20;

export type NumericPsiBins =
  | { kind: 'bins'; edges: number[]; reference: number[]; current: number[] }
  | { kind: 'values'; values: number[]; reference: number[]; current: number[] };

export interface CategoricalPsiBins<K extends Category> {
  categories: K[];
  reference: number[];
  current: number[];
}

/**
 * PSI = sum over bins of (q - p) ln(q / p), for reference proportions p and
 * current proportions q. Every proportion must be positive: use the binning
 * helpers, which fill empty bins, rather than raw histograms.
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  requireSameLength(reference, current, 'psi', 'reference and current');
  requireNonEmpty(reference, 'psi', 'reference');
  let total = 0;
  for (const [values, name] of [
    [reference, 'reference'],
    [current, 'current'],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new RangeError(
          `psi: ${name}[${i}] is ${String(v)}; PSI needs positive proportions (bin with binNumericForPsi or binCategoricalForPsi, which fill empty bins)`,
        );
      }
    }
  }
  for (let i = 0; i < reference.length; i++) {
    total += (current[i] - reference[i]) * Math.log(current[i] / reference[i]);
  }
  return total;
}

// Evidently's "feel_zeroes": an empty bin gets a millionth of the smallest
// non-empty share, or 0.0001 when every share is larger than that.
function fillEmpty(proportions: number[]): number[] {
  let smallest = Infinity;
  for (const p of proportions) if (p > 0 && p < smallest) smallest = p;
  const fill = smallest <= 0.0001 ? smallest / 10 ** 6 : 0.0001;
  return proportions.map((p) => (p === 0 ? fill : p));
}

function shares(counts: number[], total: number): number[] {
  return fillEmpty(counts.map((c) => c / total));
}

/** Reference and current proportions for PSI on a numeric column, binned as Evidently bins them. */
export function binNumericForPsi(reference: ArrayLike<number>, current: ArrayLike<number>): NumericPsiBins {
  for (const [values, name] of [
    [reference, 'reference'],
    [current, 'current'],
  ] as const) {
    requireNonEmpty(values, 'binNumericForPsi', name);
    requireFinite(values, 'binNumericForPsi', name);
  }
  const distinct = new Set<number>();
  for (let i = 0; i < reference.length && distinct.size <= MAX_DISCRETE_VALUES; i++) distinct.add(reference[i]);
  if (distinct.size > MAX_DISCRETE_VALUES) {
    const edges = histogramBinEdges([reference, current], 'sturges');
    return {
      kind: 'bins',
      edges,
      reference: shares(histogramCounts(reference, edges), reference.length),
      current: shares(histogramCounts(current, edges), current.length),
    };
  }
  const counts = countCategories(reference, current, 'binNumericForPsi');
  return {
    kind: 'values',
    values: counts.categories,
    reference: shares(counts.reference, reference.length),
    current: shares(counts.current, current.length),
  };
}

/** Reference and current proportions for PSI on a categorical column, one bin per category. */
export function binCategoricalForPsi<K extends Category>(
  reference: ArrayLike<K>,
  current: ArrayLike<K>,
): CategoricalPsiBins<K> {
  const counts = countCategories(reference, current, 'binCategoricalForPsi');
  return {
    categories: counts.categories,
    reference: shares(counts.reference, reference.length),
    current: shares(counts.current, current.length),
  };
}
