/**
 * Every pass/fail threshold of the monitor, in one place. The defaults follow
 * the Evidently tests the course runs (their conditions derived from the
 * reference), and the course's explicit ones (no drifted column, accuracy 0.9).
 */
export const THRESHOLDS = {
  /** Evidently's approx(reference value, relative=0.1): missing values, empty rows and means may differ from the reference by 10%. */
  relative: 0.1,
  /** Evidently's approx() absolute floor, so a reference value of 0 allows exactly 0. */
  absolute: 1e-12,
  /** TestNumberOfDriftedColumns(eq=0) in the course. */
  maxDriftedColumns: 0,
  /** Evidently's DatasetDriftMetric drift_share: the dataset drifts when at least half of its columns do. */
  datasetDriftShare: 0.5,
  /** TestAccuracyScore(gte=0.9) in the course. */
  minAccuracy: 0.9,
  /** Evidently's default PSI threshold: a column drifts at PSI >= 0.1. Shown per column; the drift verdict uses the default test. */
  psi: 0.1,
} as const;

export type Thresholds = { -readonly [K in keyof typeof THRESHOLDS]: number };

/** Evidently's approx tolerance around an expected value. */
export function tolerance(expected: number, thresholds: Thresholds = THRESHOLDS): number {
  return Math.max(thresholds.relative * Math.abs(expected), thresholds.absolute);
}
