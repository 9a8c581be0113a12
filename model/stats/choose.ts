// Evidently's default drift test per column and its verdict. The rules follow
// evidently/calculations/stattests/registry.py `_get_default_stattest`:
//
//   reference rows <= 1000:
//     numeric with > 5 distinct values (reference and current together) -> ks
//     otherwise: > 2 distinct values -> chisquare, else -> z
//   reference rows > 1000:
//     numeric with > 5 distinct values -> wasserstein (normed)
//     otherwise -> jensenshannon
//
// with each test's default threshold: p-values 0.05 (ks drifts at p <= 0.05,
// chisquare and z at p < 0.05), distances 0.1 (drift at >= 0.1).

import { type Category, type CategoryCounts, countCategories } from './categories.ts';
import { chiSquare } from './chisquare.ts';
import { jensenShannon } from './jensen-shannon.ts';
import { ks2sampSorted } from './ks.ts';
import { requireFinite, requireNonEmpty } from './validate.ts';
import { wassersteinNormedSorted } from './wasserstein.ts';
import { proportionsZTest } from './z-test.ts';

export type StattestName = 'ks' | 'wasserstein' | 'chisquare' | 'z' | 'jensenshannon';

export type DriftColumn =
  | { kind: 'numeric'; reference: ArrayLike<number>; current: ArrayLike<number> }
  | { kind: 'categorical'; reference: ArrayLike<Category>; current: ArrayLike<Category> };

export type DriftResult =
  | { test: 'ks' | 'chisquare' | 'z'; statistic: number; pvalue: number; threshold: number; drifted: boolean }
  | { test: 'wasserstein' | 'jensenshannon'; statistic: number; distance: number; threshold: number; drifted: boolean };

const SMALL_REFERENCE_ROWS = 1000;
const MAX_DISCRETE_NUMERIC_VALUES = 5;
const PVALUE_THRESHOLD = 0.05;
const DISTANCE_THRESHOLD = 0.1;

type Plan =
  | { test: 'ks' | 'wasserstein'; reference: ArrayLike<number>; current: ArrayLike<number> }
  | { test: 'chisquare' | 'z' | 'jensenshannon'; counts: CategoryCounts<Category> };

// Stops counting at `limit`: the rule only asks whether a column is discrete.
function distinctUpTo(samples: readonly ArrayLike<number>[], limit: number): number {
  const seen = new Set<number>();
  for (const s of samples) {
    for (let i = 0; i < s.length && seen.size < limit; i++) seen.add(s[i]);
  }
  return seen.size;
}

function categoricalTest(referenceRows: number, distinct: number): 'chisquare' | 'z' | 'jensenshannon' {
  if (referenceRows > SMALL_REFERENCE_ROWS) return 'jensenshannon';
  return distinct > 2 ? 'chisquare' : 'z';
}

function plan(column: DriftColumn, fn: string): Plan {
  if (column.kind === 'numeric') {
    const { reference, current } = column;
    for (const [values, name] of [
      [reference, 'reference'],
      [current, 'current'],
    ] as const) {
      requireNonEmpty(values, fn, name);
      requireFinite(values, fn, name);
    }
    const small = reference.length <= SMALL_REFERENCE_ROWS;
    if (distinctUpTo([reference, current], MAX_DISCRETE_NUMERIC_VALUES + 1) > MAX_DISCRETE_NUMERIC_VALUES) {
      return { test: small ? 'ks' : 'wasserstein', reference, current };
    }
    const counts = countCategories<Category>(reference, current, fn);
    return { test: categoricalTest(reference.length, counts.categories.length), counts };
  }
  if (column.kind === 'categorical') {
    const counts = countCategories(column.reference, column.current, fn);
    return { test: categoricalTest(column.reference.length, counts.categories.length), counts };
  }
  throw new TypeError(`${fn}: column kind must be 'numeric' or 'categorical' (got ${String((column as { kind: unknown }).kind)})`);
}

/** The test Evidently would run by default on this column. */
export function chooseStattest(column: DriftColumn): StattestName {
  return plan(column, 'chooseStattest').test;
}

/** An ascending Float64Array of the values: the same array when it already is one (the monitor sorts its columns once). */
function sorted(values: ArrayLike<number>): Float64Array {
  if (values instanceof Float64Array) {
    let ascending = true;
    for (let i = 1; i < values.length && ascending; i++) ascending = values[i - 1] <= values[i];
    if (ascending) return values;
  }
  return Float64Array.from(values).sort();
}

function proportions(counts: number[]): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => c / total);
}

/** Runs the default test for the column and applies its default threshold. */
export function detectDrift(column: DriftColumn): DriftResult {
  const p = plan(column, 'detectDrift');
  switch (p.test) {
    case 'ks': {
      const { statistic, pvalue } = ks2sampSorted(sorted(p.reference), sorted(p.current));
      return { test: 'ks', statistic, pvalue, threshold: PVALUE_THRESHOLD, drifted: pvalue <= PVALUE_THRESHOLD };
    }
    case 'wasserstein': {
      const distance = wassersteinNormedSorted(sorted(p.reference), sorted(p.current));
      return {
        test: 'wasserstein',
        statistic: distance,
        distance,
        threshold: DISTANCE_THRESHOLD,
        drifted: distance >= DISTANCE_THRESHOLD,
      };
    }
    case 'chisquare': {
      const { statistic, pvalue } = chiSquare(p.counts.reference, p.counts.current);
      return { test: 'chisquare', statistic, pvalue, threshold: PVALUE_THRESHOLD, drifted: pvalue < PVALUE_THRESHOLD };
    }
    case 'z': {
      const { statistic, pvalue } = proportionsZTest(p.counts.reference, p.counts.current);
      return { test: 'z', statistic, pvalue, threshold: PVALUE_THRESHOLD, drifted: pvalue < PVALUE_THRESHOLD };
    }
    case 'jensenshannon': {
      // Evidently passes per-category shares; jensenshannon normalizes again.
      const distance = jensenShannon(proportions(p.counts.reference), proportions(p.counts.current));
      return {
        test: 'jensenshannon',
        statistic: distance,
        distance,
        threshold: DISTANCE_THRESHOLD,
        drifted: distance >= DISTANCE_THRESHOLD,
      };
    }
  }
}
