// What the report draws over the capture period and for the model's own
// output: each numeric column's mean per time window (against the
// reference's mean ± std band), and the predictions' confidence.

/** Equal time windows over the captures; fewer when the captures span little time. */
export const TIME_WINDOWS = 24;
/** Confidence bins: ten of width 0.1 over [0, 1], the last one closed. */
export const CONFIDENCE_BINS = 10;

export interface OverTime {
  /** Epoch milliseconds of the first and last capture. */
  from: number;
  to: number;
  /** Window start times (epoch ms); each window spans (to - from) / windows. */
  starts: number[];
  columns: { column: string; count: number[]; mean: (number | null)[] }[];
}

export interface ConfidenceDistribution {
  count: number;
  mean: number;
  edges: number[];
  counts: number[];
}

function span(time: Float64Array): { from: number; to: number } | null {
  let from = Infinity;
  let to = -Infinity;
  for (let i = 0; i < time.length; i++) {
    const t = time[i];
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return Number.isFinite(from) ? { from, to } : null;
}

/** The mean of each numeric column per time window; null when no row has a capture time. */
export function valuesOverTime(time: Float64Array, columns: { column: string; values: Float64Array }[]): OverTime | null {
  const range = span(time);
  if (!range) return null;
  const windows = range.to > range.from ? TIME_WINDOWS : 1;
  const width = (range.to - range.from) / windows || 1;
  const at = new Int32Array(time.length);
  for (let i = 0; i < time.length; i++) {
    const t = time[i];
    at[i] = Number.isNaN(t) ? -1 : Math.min(windows - 1, Math.floor((t - range.from) / width));
  }
  return {
    ...range,
    starts: Array.from({ length: windows }, (_, w) => range.from + w * width),
    columns: columns.map(({ column, values }) => {
      const count = new Array<number>(windows).fill(0);
      const sum = new Float64Array(windows);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        const w = at[i];
        if (w < 0 || Number.isNaN(v)) continue;
        count[w]++;
        sum[w] += v;
      }
      return { column, count, mean: count.map((n, w) => (n ? sum[w] / n : null)) };
    }),
  };
}

/** The captured confidence of the predicted class, in bins of 0.1; an error when the captures hold none. */
export function confidenceDistribution(confidence: Float64Array): ConfidenceDistribution | { error: string } {
  const counts = new Array<number>(CONFIDENCE_BINS).fill(0);
  let count = 0;
  let sum = 0;
  for (let i = 0; i < confidence.length; i++) {
    const c = confidence[i];
    if (!(c >= 0 && c <= 1)) continue;
    counts[Math.min(CONFIDENCE_BINS - 1, Math.floor(c * CONFIDENCE_BINS))]++;
    count++;
    sum += c;
  }
  if (count === 0) return { error: 'the captures hold no confidence between 0 and 1' };
  return { count, mean: sum / count, edges: Array.from({ length: CONFIDENCE_BINS + 1 }, (_, i) => i / CONFIDENCE_BINS), counts };
}
