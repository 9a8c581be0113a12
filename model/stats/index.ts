// Drift statistics for the monitoring report: pure functions over in-memory
// samples, matching scipy 1.10 and Evidently's default drift tests.

export { binCategoricalForPsi, binNumericForPsi, psi, type CategoricalPsiBins, type NumericPsiBins } from './psi.ts';
export { type BinRule } from './bin-edges.ts';
export { type Category } from './categories.ts';
export { chiSquare, type ChiSquareResult } from './chisquare.ts';
export { chooseStattest, detectDrift, type DriftColumn, type DriftResult, type StattestName } from './choose.ts';
export { sharedHistogram, type HistogramOptions, type SharedHistogram } from './histogram.ts';
export { jensenShannon } from './jensen-shannon.ts';
export { modeSorted, quantileSorted } from './quantiles.ts';
export { ks2samp, type KsMethod, type KsOptions, type KsResult } from './ks.ts';
export { wassersteinDistance, wassersteinNormed } from './wasserstein.ts';
export { proportionsZTest, type ZTestResult } from './z-test.ts';
