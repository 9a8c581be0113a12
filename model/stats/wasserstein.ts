// First Wasserstein (earth mover's) distance between two 1-D samples, as
// scipy.stats.wasserstein_distance computes it without weights: the integral
// of |F_u - F_v| between consecutive pooled values. Evidently's `wasserstein`
// drift test divides it by the reference standard deviation.

import { CompensatedSum } from './compensated-sum.ts';
import { sortedSample } from './validate.ts';

// Evidently floors the normalizer, so a constant reference column still gives
// a finite (if large) score instead of dividing by zero.
const MIN_NORMALIZER = 0.001;

/** Wasserstein-1 distance between two sorted, validated samples. */
function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  const total = new CompensatedSum();
  let i = 0;
  let j = 0;
  let prev = Math.min(u[0], v[0]);
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i] <= v[j]) ? u[i] : v[j];
    // i and j count the values <= prev, i.e. both ECDFs on [prev, x).
    total.add(Math.abs(i / nu - j / nv) * (x - prev));
    while (i < nu && u[i] === x) i++;
    while (j < nv && v[j] === x) j++;
    prev = x;
  }
  return total.value;
}

/** scipy.stats.wasserstein_distance(u, v) for unweighted samples. */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(
    sortedSample(u, 'wassersteinDistance', 'u'),
    sortedSample(v, 'wassersteinDistance', 'v'),
  );
}

/** numpy.std (population, ddof = 0) by two passes, mean first. */
function populationStd(values: ArrayLike<number>): number {
  const sum = new CompensatedSum();
  for (let i = 0; i < values.length; i++) sum.add(values[i]);
  const mean = sum.value / values.length;
  const squares = new CompensatedSum();
  for (let i = 0; i < values.length; i++) squares.add((values[i] - mean) ** 2);
  return Math.sqrt(squares.value / values.length);
}

/** Evidently's normed Wasserstein: distance / max(std(reference), 0.001). */
export function wassersteinNormedSorted(reference: Float64Array, current: Float64Array): number {
  return wassersteinSorted(reference, current) / Math.max(populationStd(reference), MIN_NORMALIZER);
}

/**
 * Evidently's `wasserstein` drift score: the Wasserstein distance divided by
 * the reference's population standard deviation (floored at 0.001).
 */
export function wassersteinNormed(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  return wassersteinNormedSorted(
    sortedSample(reference, 'wassersteinNormed', 'reference'),
    sortedSample(current, 'wassersteinNormed', 'current'),
  );
}
