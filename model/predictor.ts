import type { FeatureRow } from './dataset.ts';
import { assertPipelineMatches, pipelineWidth, transformColumnsAt, transformRow, type FeatureColumn, type PipelineParams } from './features.ts';
import { UserError } from './user-error.ts';
import { predictProbaInto, type LogisticParams } from './logistic.ts';
import type { Schema } from './schema.ts';

/** Everything needed to predict: stored as `model.json` in the artifact. */
export interface ModelParams {
  format: 'rookery-logistic/v1';
  schema: Schema;
  pipeline: PipelineParams;
  classifier: LogisticParams;
}

export interface Prediction {
  prediction: string;
  confidence: number;
}

export interface RowIssue {
  /** 0-based position of the row in the request. */
  row: number;
  field?: string;
  message: string;
}

/** A request with rows that cannot be scored: each issue names the row and field. */
export class InvalidRowsError extends UserError {
  constructor(readonly issues: RowIssue[]) {
    const shown = issues.slice(0, 5).map((i) => `row ${i.row}${i.field ? `, field "${i.field}"` : ''}: ${i.message}`);
    super(shown.join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : ''));
  }
}

const describe = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}` : typeof v);

/**
 * Checks rows from a client. A feature's key must be present; `null` means
 * missing and is imputed. Numbers must be finite numbers, categories strings;
 * an unknown category is allowed (it encodes as all zeros). Extra keys are ignored.
 */
export function validateRows(schema: Schema, rows: readonly unknown[], maxIssues = 20): RowIssue[] {
  const issues: RowIssue[] = [];
  for (let r = 0; r < rows.length && issues.length < maxIssues; r++) {
    const row = rows[r];
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      issues.push({ row: r, message: `expected an object with the columns ${schema.features.map((f) => f.name).join(', ')}, got ${describe(row)}` });
      continue;
    }
    const obj = row as Record<string, unknown>;
    for (const f of schema.features) {
      if (issues.length >= maxIssues) break;
      if (!(f.name in obj)) {
        issues.push({ row: r, field: f.name, message: 'the column is missing (send null if the value is unknown)' });
        continue;
      }
      const v = obj[f.name];
      if (v === null) continue;
      if (f.type === 'numeric' && (typeof v !== 'number' || !Number.isFinite(v))) {
        issues.push({ row: r, field: f.name, message: `expected a number or null, got ${describe(v)}` });
      } else if (f.type === 'categorical' && typeof v !== 'string') {
        issues.push({ row: r, field: f.name, message: `expected a string (one of ${f.categories.join(', ')}) or null, got ${describe(v)}` });
      }
    }
  }
  return issues;
}

/** Whether validateRows would pass every row `from` to `to` of `columns` (one per schema feature, in its order). */
function columnsValid(schema: Schema, columns: readonly FeatureColumn[], from: number, to: number): boolean {
  if (columns.length !== schema.features.length) return false;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c];
    if (schema.features[c].type === 'numeric') {
      if (!('numbers' in column)) return false;
      for (let i = from; i < to; i++) if (!column.missing[i] && !Number.isFinite(column.numbers[i])) return false;
    } else {
      if (!('values' in column)) return false;
      for (let i = from; i < to; i++) {
        const v = column.values[i];
        if (v !== null && typeof v !== 'string') return false;
      }
    }
  }
  return true;
}

/** Predicts from a loaded model. Reuses its buffers, so one instance serves one caller at a time (Node's single thread). */
export class Predictor {
  readonly schema: Schema;
  readonly classes: string[];
  /** The classifier as predictProbaInto takes it, built once (not per row). */
  private readonly classifier: { classes: number; width: number; weights: Float64Array };
  private row: Float64Array;
  private readonly proba: Float64Array;

  constructor(readonly params: ModelParams) {
    assertPipelineMatches(params.pipeline, params.schema);
    this.schema = params.schema;
    this.classes = params.schema.target.classes;
    const width = pipelineWidth(params.pipeline);
    if (params.classifier.width !== width || params.classifier.classes !== this.classes.length) {
      throw new Error(`the classifier expects ${params.classifier.width} inputs and ${params.classifier.classes} classes, the pipeline gives ${width} and the schema has ${this.classes.length}`);
    }
    this.classifier = { classes: this.classes.length, width, weights: Float64Array.from(params.classifier.weights) };
    this.row = new Float64Array(width);
    this.proba = new Float64Array(this.classes.length);
  }

  /** Class probabilities for each row, in the order of `classes`. Rows must be valid (see `predict`). */
  probabilities(rows: readonly FeatureRow[]): Float64Array[] {
    return rows.map((r) => {
      this.probaOf(r);
      return Float64Array.from(this.proba);
    });
  }

  /** Validates, then predicts the most likely class and its probability for each row, in order. */
  predict(rows: readonly unknown[]): Prediction[] {
    const issues = validateRows(this.schema, rows);
    if (issues.length) throw new InvalidRowsError(issues);
    return this.predictValid(rows as FeatureRow[]);
  }

  /** Predicts rows already checked with `validateRows`. */
  predictValid(rows: readonly FeatureRow[]): Prediction[] {
    const out: Prediction[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      this.probaOf(rows[i]);
      const best = this.best();
      out[i] = { prediction: this.classes[best], confidence: this.proba[best] };
    }
    return out;
  }

  /**
   * Predicts rows `from` to `to` of `columns` (one per schema feature, in its
   * order) into `predictions` and `confidences` from `at` on, with no object
   * per row. False, with nothing to use written, when a row would not score as
   * a row object would: a value validateRows refuses (a number that is not
   * finite, a category that is not a string, a numeric feature not held as
   * numbers) or a confidence that overflows; the caller then scores those rows
   * as objects, and its rejects read as they do everywhere.
   */
  predictColumns(columns: readonly FeatureColumn[], from: number, to: number, predictions: string[], confidences: Float64Array, at: number): boolean {
    if (!columnsValid(this.schema, columns, from, to)) return false;
    for (let i = from; i < to; i++) {
      transformColumnsAt(this.params.pipeline, columns, i, this.row, 0);
      predictProbaInto(this.classifier, this.row, 0, this.proba);
      const best = this.best();
      if (!Number.isFinite(this.proba[best])) return false;
      predictions[at + i - from] = this.classes[best];
      confidences[at + i - from] = this.proba[best];
    }
    return true;
  }

  private probaOf(row: FeatureRow): void {
    transformRow(this.params.pipeline, row, this.row, 0);
    predictProbaInto(this.classifier, this.row, 0, this.proba);
  }

  /** The index of the most probable class in `proba` (the first of a tie). */
  private best(): number {
    let best = 0;
    for (let k = 1; k < this.proba.length; k++) if (this.proba[k] > this.proba[best]) best = k;
    return best;
  }
}
