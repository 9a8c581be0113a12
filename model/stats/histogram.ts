// Reference and current histograms on shared bins, for drawing the two
// distributions of a numeric column side by side. Defaults to the bins
// Evidently's distribution charts use: numpy's 'doane' rule over both samples.

import { type BinRule, histogramBinEdges, histogramCounts } from './bin-edges.ts';
import { requireFinite, requireNonEmpty } from './validate.ts';

export interface SharedHistogram {
  /** bins + 1 ascending edges; bin i is [edges[i], edges[i+1]), the last one closed. */
  edges: number[];
  reference: number[];
  current: number[];
}

export interface HistogramOptions {
  /** 'doane' (default), 'sturges', or a number of equal-width bins. */
  bins?: BinRule;
}

export function sharedHistogram(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: HistogramOptions = {},
): SharedHistogram {
  for (const [values, name] of [
    [reference, 'reference'],
    [current, 'current'],
  ] as const) {
    requireNonEmpty(values, 'sharedHistogram', name);
    requireFinite(values, 'sharedHistogram', name);
  }
  const edges = histogramBinEdges([reference, current], options.bins ?? 'doane');
  return { edges, reference: histogramCounts(reference, edges), current: histogramCounts(current, edges) };
}
