// Shared equal-width bin edges over reference and current together, computed
// as numpy.histogram_bin_edges on their concatenation, and counts per bin as
// numpy.histogram gives them for explicit edges (each bin half-open [a, b),
// the last one closed). Evidently bins PSI with 'sturges' and its
// distribution charts with 'doane'.


/** numpy's bin-count estimators, or an explicit number of bins. */
export type BinRule = 'sturges' | 'doane' | number;

interface Moments {
  size: number;
  min: number;
  max: number;
}

function range(samples: readonly ArrayLike<number>[]): Moments {
  let size = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const s of samples) {
    size += s.length;
    for (let i = 0; i < s.length; i++) {
      if (s[i] < min) min = s[i];
      if (s[i] > max) max = s[i];
    }
  }
  return { size, min, max };
}

/** Neumaier's compensated sum of f(x) over the samples, inlined: this runs over every row of a million-row column. */
function sumOver(samples: readonly ArrayLike<number>[], f: (x: number) => number): number {
  let sum = 0;
  let compensation = 0;
  for (const s of samples) {
    for (let i = 0; i < s.length; i++) {
      const x = f(s[i]);
      const t = sum + x;
      compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
    }
  }
  return sum + compensation;
}

// numpy's _hist_bin_doane: Sturges widened by the sample skewness.
function doaneWidth(samples: readonly ArrayLike<number>[], { size, min, max }: Moments): number {
  if (size <= 2) return 0;
  const sg1 = Math.sqrt((6 * (size - 2)) / ((size + 1) * (size + 3)));
  const mean = sumOver(samples, (x) => x) / size;
  const sigma = Math.sqrt(
    sumOver(samples, (x) => {
      const d = x - mean;
      return d * d;
    }) / size,
  );
  if (!(sigma > 0)) return 0;
  const g1 =
    sumOver(samples, (x) => {
      const z = (x - mean) / sigma;
      // numpy raises to the power 3 with pow(), rounded once; z * z * z would round twice.
      return z ** 3;
    }) / size;
  return (max - min) / (1 + Math.log2(size) + Math.log2(1 + Math.abs(g1) / sg1));
}

/**
 * Edges of equal-width bins spanning the pooled samples (numpy.histogram_bin_edges
 * of their concatenation). Samples must be non-empty and finite.
 */
export function histogramBinEdges(samples: readonly ArrayLike<number>[], rule: BinRule): number[] {
  const moments = range(samples);
  let first = moments.min;
  let last = moments.max;
  // A single repeated value still gets a bin of width 1 around it.
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let bins: number;
  if (typeof rule === 'number') {
    if (!Number.isInteger(rule) || rule < 1) {
      throw new RangeError(`histogramBinEdges: bins must be a positive integer (got ${rule})`);
    }
    bins = rule;
  } else {
    const width =
      rule === 'sturges' ? (moments.max - moments.min) / (Math.log2(moments.size) + 1) : doaneWidth(samples, moments);
    bins = width ? Math.ceil((last - first) / width) : 1;
  }
  const step = (last - first) / bins;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** numpy.histogram(values, edges) counts; values outside the edges are not counted. */
export function histogramCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const lastEdge = edges[bins];
  for (let k = 0; k < values.length; k++) {
    const x = values[k];
    if (x < edges[0] || x > lastEdge) continue;
    // Largest i with edges[i] <= x; the right edge itself belongs to the last bin.
    let lo = 0;
    let hi = bins;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    counts[Math.min(lo, bins - 1)]++;
  }
  return counts;
}
