import type { Dataset, FeatureRow } from './dataset.ts';
import type { Schema } from './schema.ts';

export interface NumericParams {
  name: string;
  type: 'numeric';
  /** Value used for a missing number: the training mean. */
  impute: number;
  /** Standardization: (x - mean) / scale, with the population standard deviation of the imputed column. */
  mean: number;
  scale: number;
}

export interface CategoricalParams {
  name: string;
  type: 'categorical';
  /** One output column per category, in this order. A missing or unknown category encodes as all zeros. */
  categories: string[];
}

/** The fitted feature pipeline: plain JSON, stored in the artifact. */
export interface PipelineParams {
  features: (NumericParams | CategoricalParams)[];
}

export function pipelineWidth(params: PipelineParams): number {
  return params.features.reduce((w, f) => w + (f.type === 'numeric' ? 1 : f.categories.length), 0);
}

/** Fits imputation and standardization on the given (training) rows only. */
export function fitPipeline(data: Dataset): PipelineParams {
  return {
    features: data.schema.features.map((f) => {
      if (f.type === 'categorical') return { name: f.name, type: 'categorical', categories: [...f.categories] };
      const col = data.numeric[f.name];
      let sum = 0;
      let count = 0;
      for (const v of col) {
        if (!Number.isNaN(v)) {
          sum += v;
          count++;
        }
      }
      const mean = count ? sum / count : 0;
      let sq = 0;
      for (const v of col) {
        const d = (Number.isNaN(v) ? mean : v) - mean;
        sq += d * d;
      }
      const std = col.length ? Math.sqrt(sq / col.length) : 0;
      return { name: f.name, type: 'numeric', impute: mean, mean, scale: std > 0 ? std : 1 };
    }),
  };
}

/** A numeric feature's model input: missing (NaN or null) imputed, then standardized. */
const standardized = (f: NumericParams, v: number | null | undefined): number => ((v === null || v === undefined || Number.isNaN(v) ? f.impute : v) - f.mean) / f.scale;

/** A categorical feature's model input into `out` from `offset`: one column per category, all zeros for a missing or unknown one; returns the offset after it. */
function oneHot(f: CategoricalParams, v: unknown, out: Float64Array, offset: number): number {
  const n = f.categories.length;
  out.fill(0, offset, offset + n);
  const k = typeof v === 'string' ? f.categories.indexOf(v) : -1;
  if (k >= 0) out[offset + k] = 1;
  return offset + n;
}

/** Transforms a whole dataset into a row-major matrix of `size × width`. */
export function transformDataset(params: PipelineParams, data: Dataset): Float64Array {
  const width = pipelineWidth(params);
  const out = new Float64Array(data.size * width);
  let offset = 0;
  for (const f of params.features) {
    if (f.type === 'numeric') {
      const col = data.numeric[f.name];
      for (let i = 0; i < data.size; i++) {
        out[i * width + offset] = standardized(f, col[i]);
      }
      offset++;
    } else {
      const col = data.categorical[f.name];
      for (let i = 0; i < data.size; i++) {
        const k = col[i] === null ? -1 : f.categories.indexOf(col[i]!);
        if (k >= 0) out[i * width + offset + k] = 1;
      }
      offset += f.categories.length;
    }
  }
  return out;
}

/**
 * Transforms one validated row into `out` at `at`. Values must already be of
 * the right type (see `validateRows`); null means missing.
 */
export function transformRow(params: PipelineParams, row: FeatureRow, out: Float64Array, at: number): void {
  let offset = at;
  for (const f of params.features) {
    const v = row[f.name];
    if (f.type === 'numeric') out[offset++] = standardized(f, v as number | null | undefined);
    else offset = oneHot(f, v, out, offset);
  }
}

/**
 * A feature's values for a run of rows, as a columnar reader holds them: numbers
 * unboxed, with a mask of the missing rows (1: missing), or values (null:
 * missing). Rows are scored from columns without an object per row.
 */
export type FeatureColumn = NumberColumn | ValueColumn;
export interface NumberColumn {
  readonly numbers: Float64Array;
  readonly missing: Uint8Array;
}
export interface ValueColumn {
  readonly values: readonly unknown[];
}

/**
 * Transforms row `i` of `columns` (one per feature, in the pipeline's order)
 * into `out` at `at`, as transformRow does a row object. Numeric features
 * must be NumberColumns and their values valid as validateRows has it
 * (finite numbers, category strings): Predictor.predictColumns checks.
 */
export function transformColumnsAt(params: PipelineParams, columns: readonly FeatureColumn[], i: number, out: Float64Array, at: number): void {
  let offset = at;
  for (let c = 0; c < params.features.length; c++) {
    const f = params.features[c];
    const column = columns[c];
    if (f.type === 'numeric') {
      const { numbers, missing } = column as NumberColumn;
      out[offset++] = standardized(f, missing[i] ? null : numbers[i]);
    } else offset = oneHot(f, (column as ValueColumn).values[i], out, offset);
  }
}

/** Checks that the pipeline was fitted for this schema (e.g. an artifact loaded with another schema). */
export function assertPipelineMatches(params: PipelineParams, schema: Schema): void {
  const names = schema.features.map((f) => `${f.name}:${f.type}`).join(',');
  const fitted = params.features.map((f) => `${f.name}:${f.type}`).join(',');
  if (names !== fitted) throw new Error(`the feature pipeline was fitted for [${fitted}] but the schema has [${names}]`);
}
