// Exact two-sided p-values of the two-sample Kolmogorov-Smirnov statistic,
// P(D_{m,n} >= h / lcm(m, n)), as scipy computes them in ks_2samp: lattice
// paths from (0, 0) to (m, n) that leave the band |x/m - y/n| < h / lcm.
// (Hodges 1958, "The Significance Probability of the Smirnov Two-Sample Test".)

/**
 * The m == n case in closed form: 2 * sum_k (-1)^(k+1) binom(2n, n - kh) / binom(2n, n),
 * evaluated Horner-style on ratios because the alternating sum cancels badly.
 */
export function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * The general case by Hodges' "inside" recursion, rewritten by Viehmann
 * (arXiv:2102.08037) to carry the probability of having already left the
 * band. Working with that complement directly keeps p-values far below
 * 1e-16 accurate, where 1 - P(inside) would round to zero. `g` is gcd(m, n).
 */
export function probOutsideBand(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = m / g;
  const ng = n / g;
  // Only a sliding window of one column of the lattice is ever non-trivial.
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const a = new Float64Array(Math.min(2 * maxj + 2, n + 1)).fill(1);
  a.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    curlen = maxj - minj;
    const shift = minj - lastminj;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0, j = minj; jj < curlen; jj++, j++) {
      val = (a[jj + shift] * i + val * j) / (i + j);
      a[jj] = val;
    }
    // Cells that slid out of the window are paths that have left the band.
    if (lastlen > curlen) a.fill(1, curlen, lastlen);
  }
  return a[maxj - minj - 1];
}
