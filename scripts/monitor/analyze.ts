import { classificationReport, type ClassMetrics } from '../../model/metrics.ts';
import type { Schema } from '../../model/schema.ts';
import { binCategoricalForPsi, binNumericForPsi, detectDrift, modeSorted, psi, quantileSorted, sharedHistogram, type StattestName } from '../../model/stats/index.ts';
import type { CaptureColumns } from './capture-reader.ts';
import { confidenceDistribution, valuesOverTime, type ConfidenceDistribution, type OverTime } from './over-time.ts';
import type { ReferenceData } from './reference.ts';
import { THRESHOLDS } from './thresholds.ts';

export interface NumericStats {
  count: number;
  missing: number;
  mean: number | null;
  /** Sample standard deviation (ddof 1), as pandas reports it. */
  std: number | null;
  min: number | null;
  max: number | null;
  /** numpy.quantile at 5, 25, 50, 75 and 95%. */
  quantiles: { p5: number; p25: number; p50: number; p75: number; p95: number } | null;
  /** The most frequent value (the smallest on a tie) and its rows. */
  mostCommon: { value: number; count: number } | null;
}

export interface CategoricalStats {
  count: number;
  missing: number;
  /** Rows per value, in the order of the schema's categories, then any others by count. */
  counts: Record<string, number>;
  /** The most frequent value (the first in that order on a tie) and its rows. */
  mostCommon: { value: string; count: number } | null;
}

export type ColumnProfile =
  | { column: string; kind: 'numeric'; reference: NumericStats; current: NumericStats; typeMismatches: number; present: boolean }
  | {
      column: string;
      kind: 'categorical';
      known: string[];
      reference: CategoricalStats;
      current: CategoricalStats;
      /** Current values the reference never has, most rows first. */
      newCategories: string[];
      typeMismatches: number;
      present: boolean;
    };

export interface TestOutcome {
  test: StattestName;
  statistic: number | null;
  /** p-value tests (ks, chisquare, z): drift when the p-value is below the threshold. */
  pvalue?: number;
  /** distance tests (wasserstein, jensenshannon): drift when the distance reaches the threshold. */
  distance?: number;
  threshold: number;
  drifted: boolean;
}

export interface DriftColumn extends Partial<TestOutcome> {
  column: string;
  kind: 'numeric' | 'categorical';
  referenceValues: number;
  currentValues: number;
  /** Why no test could run (e.g. no current values). */
  error?: string;
  psi?: { value: number; threshold: number; drifted: boolean; bins: number };
  /** What the chart draws: shared-bin histogram counts, or counts per category. */
  chart?: { kind: 'histogram'; edges: number[]; reference: number[]; current: number[] } | { kind: 'categories'; categories: string[]; reference: number[]; current: number[] };
}

export interface PredictionDrift extends TestOutcome {
  classes: string[];
  reference: number[];
  current: number[];
}

export interface ModelQuality {
  labeledRows: number;
  /** Labeled rows left out because the label or prediction is not one of the schema's classes. */
  excludedRows: number;
  accuracy: number;
  perClass: ClassMetrics[];
  classes: string[];
  /** confusion[true][predicted] */
  confusion: number[][];
}

export interface Analysis {
  columns: ColumnProfile[];
  emptyRows: { reference: number; current: number };
  emptyColumns: { reference: string[]; current: string[] };
  missingCells: { reference: number; current: number; referenceShare: number; currentShare: number };
  drift: { columns: DriftColumn[]; drifted: number; tested: number };
  /** Evidently's dataset drift: the share of drifted columns against its threshold (drift at share ≥ 0.5). */
  datasetDrift: { share: number; threshold: number; drifted: boolean };
  overTime: OverTime | null;
  confidence: ConfidenceDistribution | { error: string };
  predictionDrift: PredictionDrift | { error: string };
  quality: ModelQuality | { error: string };
}

const isMissingNumber = (v: number) => Number.isNaN(v);

/** The column's statistics, and its non-missing values sorted ascending (the drift tests and quantiles share the one sort). */
function numericStats(col: Float64Array): { stats: NumericStats; values: Float64Array } {
  let count = 0;
  for (let i = 0; i < col.length; i++) if (!isMissingNumber(col[i])) count++;
  const values = new Float64Array(count);
  let k = 0;
  let sum = 0;
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (isMissingNumber(v)) continue;
    values[k++] = v;
    sum += v;
  }
  if (count === 0) return { stats: { count: 0, missing: col.length, mean: null, std: null, min: null, max: null, quantiles: null, mostCommon: null }, values };
  values.sort();
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (values[i] - mean) ** 2;
  const q = (p: number) => quantileSorted(values, p);
  return {
    stats: {
      count,
      missing: col.length - count,
      mean,
      std: count > 1 ? Math.sqrt(squares / (count - 1)) : null,
      min: values[0],
      max: values[count - 1],
      quantiles: { p5: q(0.05), p25: q(0.25), p50: q(0.5), p75: q(0.75), p95: q(0.95) },
      mostCommon: modeSorted(values),
    },
    values,
  };
}

function categoricalStats(col: readonly (string | null)[], known: readonly string[]): { stats: CategoricalStats; values: string[] } {
  const counts = new Map<string, number>(known.map((c) => [c, 0]));
  const values: string[] = [];
  for (const v of col) {
    if (v === null) continue;
    values.push(v);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const extra = [...counts].filter(([c]) => !known.includes(c)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const ordered = [...known.map((c) => [c, counts.get(c)!] as const), ...extra];
  let mostCommon: CategoricalStats['mostCommon'] = null;
  for (const [value, count] of ordered) if (count > 0 && (!mostCommon || count > mostCommon.count)) mostCommon = { value, count };
  return { stats: { count: values.length, missing: col.length - values.length, counts: Object.fromEntries(ordered), mostCommon }, values };
}

function outcome(result: ReturnType<typeof detectDrift>): TestOutcome {
  const base = { test: result.test, statistic: Number.isFinite(result.statistic) ? result.statistic : null, threshold: result.threshold, drifted: result.drifted };
  return 'pvalue' in result ? { ...base, pvalue: result.pvalue } : { ...base, distance: result.distance };
}

function driftNumeric(column: string, reference: Float64Array, current: Float64Array): DriftColumn {
  const base: DriftColumn = { column, kind: 'numeric', referenceValues: reference.length, currentValues: current.length };
  if (reference.length === 0 || current.length === 0) return { ...base, error: `no ${reference.length === 0 ? 'reference' : 'current'} values to compare` };
  try {
    const bins = binNumericForPsi(reference, current);
    const psiValue = psi(bins.reference, bins.current);
    const hist = sharedHistogram(reference, current);
    return {
      ...base,
      ...outcome(detectDrift({ kind: 'numeric', reference, current })),
      psi: { value: psiValue, threshold: THRESHOLDS.psi, drifted: psiValue >= THRESHOLDS.psi, bins: bins.reference.length },
      chart: { kind: 'histogram', edges: hist.edges, reference: hist.reference, current: hist.current },
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  }
}

function countsIn(values: readonly string[], categories: readonly string[]): number[] {
  const at = new Map(categories.map((c, i) => [c, i]));
  const counts = new Array<number>(categories.length).fill(0);
  for (const v of values) {
    const i = at.get(v);
    if (i !== undefined) counts[i]++;
  }
  return counts;
}

function driftCategorical(column: string, reference: string[], current: string[], known: readonly string[]): DriftColumn {
  const base: DriftColumn = { column, kind: 'categorical', referenceValues: reference.length, currentValues: current.length };
  if (reference.length === 0 || current.length === 0) return { ...base, error: `no ${reference.length === 0 ? 'reference' : 'current'} values to compare` };
  try {
    const bins = binCategoricalForPsi(reference, current);
    const psiValue = psi(bins.reference, bins.current);
    const categories = [...known.filter((c) => bins.categories.includes(c)), ...bins.categories.filter((c) => !known.includes(c))];
    return {
      ...base,
      ...outcome(detectDrift({ kind: 'categorical', reference, current })),
      psi: { value: psiValue, threshold: THRESHOLDS.psi, drifted: psiValue >= THRESHOLDS.psi, bins: bins.categories.length },
      chart: { kind: 'categories', categories, reference: countsIn(reference, categories), current: countsIn(current, categories) },
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  }
}

function emptyRows(columns: Record<string, Float64Array | (string | null)[]>, size: number, names: string[]): number {
  let empty = 0;
  for (let i = 0; i < size; i++) {
    let all = true;
    for (const name of names) {
      const col = columns[name];
      const v = col[i];
      if (col instanceof Float64Array ? !Number.isNaN(v as number) : v !== null) {
        all = false;
        break;
      }
    }
    if (all) empty++;
  }
  return empty;
}

function predictionDrift(schema: Schema, reference: ReferenceData, current: CaptureColumns): PredictionDrift | { error: string } {
  if (!reference.target) return { error: `the reference ${reference.path} has no ${schema.target.name} column to compare predictions with` };
  const predicted = current.prediction.filter((p): p is string => p !== null);
  if (predicted.length === 0) return { error: 'no captured predictions' };
  try {
    const result = outcome(detectDrift({ kind: 'categorical', reference: reference.target, current: predicted }));
    const known = schema.target.classes;
    const classes = [...known, ...[...new Set(predicted)].filter((c) => !known.includes(c)).sort()];
    return { ...result, classes, reference: countsIn(reference.target, classes), current: countsIn(predicted, classes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function modelQuality(schema: Schema, current: CaptureColumns): ModelQuality | { error: string } {
  const classes = schema.target.classes;
  const index = new Map(classes.map((c, i) => [c, i]));
  const truth: number[] = [];
  const predicted: number[] = [];
  let labeled = 0;
  for (let i = 0; i < current.size; i++) {
    const label = current.label[i];
    if (label === null) continue;
    labeled++;
    const t = index.get(label);
    const p = current.prediction[i] === null ? undefined : index.get(current.prediction[i]!);
    if (t === undefined || p === undefined) continue;
    truth.push(t);
    predicted.push(p);
  }
  if (labeled === 0) return { error: "no labeled rows yet: run 'rookery label' (or add ground truth) first" };
  if (truth.length === 0) return { error: `none of the ${labeled} labeled rows has a label and prediction among ${classes.join(', ')}` };
  const report = classificationReport(truth, predicted, classes);
  return { labeledRows: labeled, excludedRows: labeled - truth.length, accuracy: report.accuracy, perClass: report.perClass, classes: report.classes, confusion: report.confusion };
}

/** Every figure the report shows, computed from the reference and the captured columns. */
export function analyze(schema: Schema, reference: ReferenceData, current: CaptureColumns): Analysis {
  const names = schema.features.map((f) => f.name);
  const columns: ColumnProfile[] = [];
  const drift: DriftColumn[] = [];
  let refMissing = 0;
  let curMissing = 0;
  const emptyRef: string[] = [];
  const emptyCur: string[] = [];
  for (const f of schema.features) {
    const present = !current.missingColumns.includes(f.name);
    const mismatches = current.typeMismatches[f.name] ?? 0;
    if (f.type === 'numeric') {
      const ref = numericStats(reference.columns[f.name] as Float64Array);
      const cur = numericStats(current.columns[f.name] as Float64Array);
      columns.push({ column: f.name, kind: 'numeric', reference: ref.stats, current: cur.stats, typeMismatches: mismatches, present });
      drift.push(driftNumeric(f.name, ref.values, cur.values));
      refMissing += ref.stats.missing;
      curMissing += cur.stats.missing;
      if (ref.stats.count === 0) emptyRef.push(f.name);
      if (cur.stats.count === 0) emptyCur.push(f.name);
    } else {
      const ref = categoricalStats(reference.columns[f.name] as (string | null)[], f.categories);
      const cur = categoricalStats(current.columns[f.name] as (string | null)[], f.categories);
      const newCategories = Object.entries(cur.stats.counts)
        .filter(([v, n]) => n > 0 && !ref.stats.counts[v])
        .sort((a, b) => b[1] - a[1])
        .map(([v]) => v);
      columns.push({ column: f.name, kind: 'categorical', known: f.categories, reference: ref.stats, current: cur.stats, newCategories, typeMismatches: mismatches, present });
      drift.push(driftCategorical(f.name, ref.values, cur.values, f.categories));
      refMissing += ref.stats.missing;
      curMissing += cur.stats.missing;
      if (ref.stats.count === 0) emptyRef.push(f.name);
      if (cur.stats.count === 0) emptyCur.push(f.name);
    }
  }
  const cells = (rows: number) => rows * names.length;
  const tested = drift.filter((d) => !d.error).length;
  const drifted = drift.filter((d) => d.drifted).length;
  const share = tested ? drifted / tested : 0;
  const numeric = schema.features.filter((f) => f.type === 'numeric').map((f) => ({ column: f.name, values: current.columns[f.name] as Float64Array }));
  return {
    columns,
    emptyRows: { reference: emptyRows(reference.columns, reference.size, names), current: emptyRows(current.columns, current.size, names) },
    emptyColumns: { reference: emptyRef, current: emptyCur },
    missingCells: {
      reference: refMissing,
      current: curMissing,
      referenceShare: cells(reference.size) ? refMissing / cells(reference.size) : 0,
      currentShare: cells(current.size) ? curMissing / cells(current.size) : 0,
    },
    drift: { columns: drift, drifted, tested },
    datasetDrift: { share, threshold: THRESHOLDS.datasetDriftShare, drifted: tested > 0 && share >= THRESHOLDS.datasetDriftShare },
    overTime: valuesOverTime(current.time, numeric),
    confidence: confidenceDistribution(current.confidence),
    predictionDrift: predictionDrift(schema, reference, current),
    quality: modelQuality(schema, current),
  };
}
