// Two-sample Kolmogorov-Smirnov test, two-sided, computing what
// scipy.stats.ks_2samp (scipy 1.10) computes; Evidently's `ks` drift test is
// that call with its defaults.

import { probOutsideBand, probOutsideSquare } from './ks-exact.ts';
import { kstwoSf } from './kstwo.ts';
import { sortedSample } from './validate.ts';

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsOptions {
  /** 'auto' (default): exact when both samples have at most 10,000 values. */
  method?: KsMethod;
}

export interface KsResult {
  /** D = sup |F_reference - F_current|; with the exact method, snapped to the 1/lcm(m, n) grid as scipy reports it. */
  statistic: number;
  pvalue: number;
  /** The distribution actually used; 'exact' falls back to 'asymp' when it cannot be computed. */
  method: 'exact' | 'asymp';
}

// scipy's MAX_AUTO_N.
const MAX_AUTO_N = 10_000;
// scipy switches an explicit 'exact' to 'asymp' once lcm(m, n) reaches int32 range.
const INT32_MAX = 2 ** 31 - 1;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

// numpy rounds half to even.
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The largest ECDF gap, evaluated (as scipy does) at every observed value with
 * ties grouped, from the same i/m - j/n quotients so the result is bit-identical.
 */
function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  while (i < n1 && j < n2) {
    const x = a[i] <= b[j] ? a[i] : b[j];
    while (i < n1 && a[i] === x) i++;
    while (j < n2 && b[j] === x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  // Once either sample is used up the remaining gaps shrink monotonically to
  // 0, so they cannot change the supremum.
  return Math.max(Math.min(Math.max(-minS, 0), 1), maxS);
}

/** Two-sided KS test on already sorted, validated samples. */
export function ks2sampSorted(a: Float64Array, b: Float64Array, method: KsMethod = 'auto'): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  let d = ksStatisticSorted(a, b);
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;

  let mode: 'exact' | 'asymp';
  if (method === 'auto') mode = Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp';
  else if (method === 'exact') mode = n1g >= INT32_MAX / n2g ? 'asymp' : 'exact';
  else mode = 'asymp';

  if (mode === 'exact') {
    // The exact distribution lives on multiples of 1/lcm, so D is snapped to
    // that grid; scipy reports the snapped value even if it then falls back.
    const lcm = n1g * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pvalue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
    if (prob >= 0 && prob <= 1) return { statistic: d, pvalue: prob, method: 'exact' };
  }

  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const effectiveN = roundHalfEven((m * n) / (m + n));
  if (effectiveN < 1) {
    // Only 1 vs 1: scipy's kstwo is undefined there and it returns NaN.
    throw new RangeError(
      'ks2samp: the asymptotic distribution needs larger samples (1 vs 1 value); use method "exact"',
    );
  }
  const pvalue = Math.min(Math.max(kstwoSf(effectiveN, d), 0), 1);
  return { statistic: d, pvalue, method: 'asymp' };
}

/**
 * Two-sample, two-sided Kolmogorov-Smirnov test of `current` against
 * `reference`, as scipy.stats.ks_2samp(reference, current, method=...).
 */
export function ks2samp(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: KsOptions = {},
): KsResult {
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'asymp') {
    throw new RangeError(`ks2samp: method must be 'auto', 'exact' or 'asymp' (got ${String(method)})`);
  }
  return ks2sampSorted(
    sortedSample(reference, 'ks2samp', 'reference'),
    sortedSample(current, 'ks2samp', 'current'),
    method,
  );
}
