import { createRandom, permutation } from './random.ts';

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/**
 * Shuffled k-fold split, as scikit-learn's KFold(shuffle=True): the first
 * n % k folds get one extra row; every row is in exactly one test fold.
 */
export function kFold(n: number, k: number, seed: number): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`k-fold needs at least 2 folds, got ${k}`);
  if (n < k) throw new Error(`cannot split ${n} rows into ${k} folds`);
  const order = permutation(n, createRandom(seed));
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const test = order.slice(start, start + size);
    const train = new Int32Array(n - size);
    train.set(order.subarray(0, start), 0);
    train.set(order.subarray(start + size), start);
    folds.push({ train, test });
    start += size;
  }
  return folds;
}
