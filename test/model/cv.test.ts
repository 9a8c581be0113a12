import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kFold, type Fold } from '../../model/cv.ts';

/** Checks the k-fold contract for n rows and k folds (plain loops: this runs inside property tests). */
function expectPartition(folds: Fold[], n: number, k: number): void {
  expect(folds).toHaveLength(k);
  const seen = new Array<number>(n).fill(0);
  const problems: string[] = [];
  folds.forEach((fold, f) => {
    const test = new Set(fold.test);
    const train = new Set(fold.train);
    if (test.size !== fold.test.length || train.size !== fold.train.length) problems.push(`fold ${f} repeats a row`);
    if (fold.test.length + fold.train.length !== n) problems.push(`fold ${f} has ${fold.test.length} + ${fold.train.length} rows`);
    for (const i of fold.train) if (test.has(i)) problems.push(`fold ${f}: row ${i} is in train and test`);
    for (const i of [...fold.test, ...fold.train]) if (!(Number.isInteger(i) && i >= 0 && i < n)) problems.push(`fold ${f}: row ${i} out of range`);
    for (const i of fold.test) seen[i]++;
    // The first n % k folds have one row more.
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    if (fold.test.length !== size) problems.push(`fold ${f} tests ${fold.test.length} rows, expected ${size}`);
  });
  seen.forEach((c, i) => c !== 1 && problems.push(`row ${i} is in ${c} test folds`));
  expect(problems).toEqual([]);
  const sizes = folds.map((f) => f.test.length);
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
}

describe('kFold', () => {
  it('partitions 0..n-1 into k test folds, each with the other rows as training rows', () => {
    expectPartition(kFold(344, 5, 42), 344, 5);
    expect(kFold(344, 5, 42).map((f) => f.test.length)).toEqual([69, 69, 69, 69, 68]);
    expectPartition(kFold(10, 3, 1), 10, 3);
    expect(kFold(10, 3, 1).map((f) => f.test.length)).toEqual([4, 3, 3]);
    expectPartition(kFold(7, 7, 1), 7, 7);
  });

  it('shuffles: the test folds are not consecutive blocks', () => {
    const first = Array.from(kFold(344, 5, 42)[0].test);
    expect(first).not.toEqual(Array.from({ length: 69 }, (_, i) => i));
  });

  it('is the same for the same seed and differs for another seed', () => {
    expect(kFold(100, 5, 123)).toEqual(kFold(100, 5, 123));
    expect(kFold(100, 5, 124)[0].test).not.toEqual(kFold(100, 5, 123)[0].test);
  });

  it('rejects fewer than two folds, fractional folds and more folds than rows', () => {
    expect(() => kFold(10, 1, 0)).toThrow('k-fold needs at least 2 folds, got 1');
    expect(() => kFold(10, 0, 0)).toThrow(/at least 2 folds/);
    expect(() => kFold(10, 2.5, 0)).toThrow(/at least 2 folds/);
    expect(() => kFold(4, 5, 0)).toThrow('cannot split 4 rows into 5 folds');
  });

  it('partitions for any n ≥ k ≥ 2 and seed, deterministically', () => {
    const args = fc.integer({ min: 2, max: 40 }).chain((k) => fc.tuple(fc.constant(k), fc.integer({ min: k, max: 400 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })));
    fc.assert(
      fc.property(args, ([k, n, seed]) => {
        const folds = kFold(n, k, seed);
        expectPartition(folds, n, k);
        expect(kFold(n, k, seed)).toEqual(folds);
      }),
      { numRuns: 150 },
    );
  });
});
