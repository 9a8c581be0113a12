// Quantiles and the most common value of a sorted sample, as numpy.quantile
// (its default 'linear' method) and pandas' Series.mode()[0] (the smallest of
// the most frequent values) give them.

/** numpy.quantile(values, q) for an ascending, non-empty sample. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantileSorted: the sample is empty; it needs at least one value');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantileSorted: q must be in [0, 1] (got ${q})`);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = at - lo;
  // numpy's _lerp: a + (b - a) * t, computed from the far end when t >= 0.5, so the result stays within [a, b].
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
}

/** The most frequent value of an ascending, non-empty sample, the smallest one on a tie, and how often it occurs. */
export function modeSorted(sorted: ArrayLike<number>): { value: number; count: number } {
  if (sorted.length === 0) throw new RangeError('modeSorted: the sample is empty; it needs at least one value');
  let best = sorted[0];
  let bestCount = 0;
  let run = 0;
  for (let i = 0; i < sorted.length; i++) {
    run = i > 0 && sorted[i] === sorted[i - 1] ? run + 1 : 1;
    if (run > bestCount) {
      bestCount = run;
      best = sorted[i];
    }
  }
  return { value: best, count: bestCount };
}
