// Upper tails of the chi-square and normal distributions through the
// regularized upper incomplete gamma function Q(a, x), which stays accurate
// relative to the answer deep in the tail (1 - CDF would round to 0).

import gammainc from '@stdlib/math-base-special-gammainc';

/** P(X >= x) for X ~ chi-square(df), as scipy.stats.chi2.sf: Q(df/2, x/2). */
export function chiSquareSf(x: number, df: number): number {
  // stdlib answers NaN at x = Infinity; the limit is 0.
  if (x === Infinity) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

/** P(|Z| >= |z|) for a standard normal Z: erfc(|z| / sqrt 2) = Q(1/2, z^2 / 2). */
export function normalTwoSidedSf(z: number): number {
  return gammainc((z * z) / 2, 0.5, true, true);
}
