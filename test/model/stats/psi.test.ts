import { describe, expect, it } from 'vitest';
import { binCategoricalForPsi, binNumericForPsi, psi } from '../../../model/stats/index.ts';
import { expectClose } from './close.ts';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

// Expected values from Evidently's get_binned_data logic run with numpy.
describe('binNumericForPsi', () => {
  it("uses 'sturges' bins over both samples when the reference has more than 20 distinct values", () => {
    const bins = binNumericForPsi(range(0, 30), range(10, 50));
    expect(bins).toEqual({
      kind: 'bins',
      edges: [0.0, 6.125, 12.25, 18.375, 24.5, 30.625, 36.75, 42.875, 49.0],
      reference: [0.23333333333333334, 0.2, 0.2, 0.2, 0.16666666666666666, 0.0001, 0.0001, 0.0001],
      current: [0.0001, 0.075, 0.15, 0.15, 0.15, 0.15, 0.15, 0.175],
    });
    expectClose(psi(bins.reference, bins.current), 5.460411437991738, 1e-12);
  });

  it('gives every distinct value its own bin otherwise, filling empty ones with 0.0001', () => {
    const bins = binNumericForPsi([1, 1, 2, 2, 3], [1, 2, 2, 4]);
    expect(bins).toEqual({
      kind: 'values',
      values: [1, 2, 3, 4],
      reference: [0.4, 0.4, 0.2, 0.0001],
      current: [0.25, 0.5, 0.0001, 0.25],
    });
    expectClose(psi(bins.reference, bins.current), 3.567464399293731, 1e-12);
  });

  it('names non-finite input', () => {
    expect(() => binNumericForPsi([1, NaN], [1])).toThrow('binNumericForPsi: reference[1] is NaN');
  });
});

describe('binCategoricalForPsi', () => {
  it('fills empty categories with a millionth of the smallest share when that share is <= 0.0001', () => {
    const reference = [...Array<string>(19_999).fill('a'), 'b'];
    const bins = binCategoricalForPsi(reference, ['a', 'c']);
    expect(bins.categories).toEqual(['a', 'b', 'c']);
    expect(bins.reference).toEqual([0.99995, 5e-5, 5e-11]);
    expect(bins.current).toEqual([0.5, 0.0001, 0.5]);
    expectClose(psi(bins.reference, bins.current), 11.859474055973951, 1e-12);
  });

  it('rejects missing values by position', () => {
    expect(() => binCategoricalForPsi(['a', null as unknown as string], ['a'])).toThrow(
      'binCategoricalForPsi: reference[1] is null',
    );
  });
});

describe('psi', () => {
  it('is 0 for identical proportions and positive otherwise', () => {
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
    expect(psi([0.2, 0.3, 0.5], [0.3, 0.3, 0.4])).toBeGreaterThan(0);
  });

  it('asks for binned proportions when a bin is empty', () => {
    expect(() => psi([0.5, 0.5], [1, 0])).toThrow('psi: current[1] is 0; PSI needs positive proportions');
    expect(() => psi([1], [0.5, 0.5])).toThrow('psi: reference and current must have the same length');
  });
});
