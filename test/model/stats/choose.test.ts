import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseStattest, detectDrift, type DriftColumn, type StattestName } from '../../../model/stats/index.ts';
import { expectClose } from './close.ts';
import { referenceCases, type CategoricalCase, type NumericCase } from './reference.ts';

const numeric = referenceCases.filter((c): c is NumericCase => c.kind === 'numeric');
const categorical = referenceCases.filter((c): c is CategoricalCase => c.kind === 'categorical');
const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);

/** `rows` values cycling through `distinct` different numbers, starting at `offset`. */
const cycle = (rows: number, distinct: number, offset = 0) =>
  Array.from({ length: rows }, (_, i) => offset + (i % distinct));

const expand = (categories: string[], counts: number[]) => categories.flatMap((c, i) => Array<string>(counts[i]).fill(c));

// Evidently's _get_default_stattest, written out as the table the rule implies.
function expectedTest(kind: 'numeric' | 'categorical', referenceRows: number, distinct: number): StattestName {
  const small = referenceRows <= 1000;
  if (kind === 'numeric' && distinct > 5) return small ? 'ks' : 'wasserstein';
  if (!small) return 'jensenshannon';
  return distinct > 2 ? 'chisquare' : 'z';
}

describe('chooseStattest', () => {
  it.each([
    ['numeric', 1000, 6, 'ks'],
    ['numeric', 1001, 6, 'wasserstein'],
    ['numeric', 1000, 5, 'chisquare'],
    ['numeric', 1000, 3, 'chisquare'],
    ['numeric', 1000, 2, 'z'],
    ['numeric', 1001, 5, 'jensenshannon'],
    ['categorical', 1000, 3, 'chisquare'],
    ['categorical', 1000, 2, 'z'],
    ['categorical', 1000, 1, 'z'],
    ['categorical', 1001, 40, 'jensenshannon'],
  ] as const)('%s column, %d reference rows, %d distinct values: %s', (kind, rows, distinct, test) => {
    const column: DriftColumn =
      kind === 'numeric'
        ? { kind, reference: cycle(rows, distinct), current: cycle(50, distinct) }
        : { kind, reference: cycle(rows, distinct).map(String), current: cycle(50, distinct).map(String) };
    expect(chooseStattest(column)).toBe(test);
  });

  it('counts distinct values over reference and current together', () => {
    expect(chooseStattest({ kind: 'numeric', reference: cycle(100, 5), current: [99] })).toBe('ks');
    expect(chooseStattest({ kind: 'categorical', reference: ['a', 'b'], current: ['c'] })).toBe('chisquare');
  });

  it('follows the rule table for any row and distinct-value counts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('numeric' as const, 'categorical' as const),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        (kind, rows, refDistinct, extra) => {
          const distinct = Math.min(refDistinct, rows);
          const current = cycle(distinct + extra, distinct + extra);
          const column: DriftColumn =
            kind === 'numeric'
              ? { kind, reference: cycle(rows, distinct), current }
              : { kind, reference: cycle(rows, distinct).map(String), current: current.map(String) };
          expect(chooseStattest(column)).toBe(expectedTest(kind, rows, distinct + extra));
        },
      ),
    );
  });

  it('rejects unknown kinds and unusable values', () => {
    expect(() => chooseStattest({ kind: 'text', reference: [], current: [] } as unknown as DriftColumn)).toThrow(
      "chooseStattest: column kind must be 'numeric' or 'categorical' (got text)",
    );
    expect(() => chooseStattest({ kind: 'numeric', reference: [1, NaN], current: [1] })).toThrow(
      'chooseStattest: reference[1] is NaN',
    );
    expect(() => detectDrift({ kind: 'categorical', reference: ['a'], current: [] })).toThrow(
      'detectDrift: current is empty',
    );
  });
});

describe('detectDrift', () => {
  it('runs ks up to 1000 reference rows and flags p <= 0.05', () => {
    const calm = numeric.find((c) => c.reference.length <= 1000 && c.ks_pvalue_auto > 0.05)!;
    const quiet = detectDrift({ kind: 'numeric', reference: calm.reference, current: calm.current });
    expect(quiet).toMatchObject({ test: 'ks', threshold: 0.05, drifted: false });
    expectClose(quiet.statistic, calm.ks_statistic, 1e-9);
    const shifted = numeric.find((c) => c.reference.length <= 1000 && c.ks_pvalue_auto < 0.05)!;
    const loud = detectDrift({ kind: 'numeric', reference: shifted.reference, current: shifted.current });
    expect(loud).toMatchObject({ test: 'ks', drifted: true });
    if (loud.test !== 'ks') throw new Error('expected ks');
    expectClose(loud.pvalue, shifted.ks_pvalue_auto, 1e-6);
  });

  it('runs the normed Wasserstein distance above 1000 reference rows and flags >= 0.1', () => {
    const big = numeric.find((c) => c.reference.length > 1000)!;
    const r = detectDrift({ kind: 'numeric', reference: big.reference, current: big.current });
    expect(r).toMatchObject({ test: 'wasserstein', threshold: 0.1, drifted: true });
    if (r.test !== 'wasserstein') throw new Error('expected wasserstein');
    expectClose(r.distance, big.wasserstein_normed, 1e-9);
    expect(r.statistic).toBe(r.distance);
    const same = detectDrift({ kind: 'numeric', reference: big.reference, current: big.reference.slice(0, 1500) });
    expect(same).toMatchObject({ test: 'wasserstein', drifted: false });
  });

  it('runs chi-square on categories from raw values, matching the fixture', () => {
    const c = categorical.find((x) => total(x.reference_counts) <= 1000 && x.chisquare_pvalue < 0.05)!;
    const r = detectDrift({
      kind: 'categorical',
      reference: expand(c.categories, c.reference_counts),
      current: expand(c.categories, c.current_counts),
    });
    expect(r).toMatchObject({ test: 'chisquare', threshold: 0.05, drifted: true });
    if (r.test !== 'chisquare') throw new Error('expected chisquare');
    expectClose(r.statistic, c.chisquare_statistic, 1e-9);
    expectClose(r.pvalue, c.chisquare_pvalue, 1e-6);
  });

  it('flags a category that only appears in current', () => {
    const r = detectDrift({ kind: 'categorical', reference: ['a', 'b', 'b'], current: ['a', 'b', 'c'] });
    expect(r).toEqual({ test: 'chisquare', statistic: Infinity, pvalue: 0, threshold: 0.05, drifted: true });
  });

  it('runs Jensen-Shannon above 1000 reference rows and flags >= 0.1', () => {
    const c = categorical.find((x) => total(x.reference_counts) > 1000)!;
    const r = detectDrift({
      kind: 'categorical',
      reference: expand(c.categories, c.reference_counts),
      current: expand(c.categories, c.current_counts),
    });
    expect(r).toMatchObject({ test: 'jensenshannon', threshold: 0.1, drifted: c.jensenshannon >= 0.1 });
    if (r.test !== 'jensenshannon') throw new Error('expected jensenshannon');
    expectClose(r.distance, c.jensenshannon, 1e-9);
  });

  it('runs the z-test on binary columns, numeric or categorical', () => {
    const numeric = detectDrift({ kind: 'numeric', reference: cycle(100, 2), current: [...cycle(60, 1), ...cycle(40, 1, 1)] });
    expect(numeric).toMatchObject({ test: 'z', threshold: 0.05, drifted: false });
    const categorical = detectDrift({
      kind: 'categorical',
      reference: [...Array<string>(30).fill('no'), ...Array<string>(70).fill('yes')],
      current: [...Array<string>(50).fill('no'), ...Array<string>(50).fill('yes')],
    });
    expect(categorical).toMatchObject({ test: 'z', drifted: true });
    expectClose(categorical.statistic, 2.886751345948128, 1e-14);
    expect(detectDrift({ kind: 'categorical', reference: ['x'], current: ['x', 'x'] })).toEqual({
      test: 'z',
      statistic: 0,
      pvalue: 1,
      threshold: 0.05,
      drifted: false,
    });
  });
});
