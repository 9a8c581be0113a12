import type { FeatureRow } from '../../model/dataset.ts';
import type { FeatureColumn } from '../../model/features.ts';
import { validateRows, type Predictor } from '../../model/predictor.ts';
import type { ObjectWriter } from '../store/blob-store.ts';

/** A row that was not scored: its 1-based position among the data rows (and line, for text), why, and what it held. */
export interface Reject {
  row: number;
  line?: number;
  reason: string;
  input: unknown;
}

/** A scored row's output columns. */
export interface Scored {
  prediction: string;
  confidence: number;
}

const encoder = new TextEncoder();
// Parquet's INT64 columns read as bigint; a reject line still shows their values.
const jsonValue = (_key: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/**
 * What every format shares: the model's own validation and prediction, the
 * counts, and the reject file (JSON Lines, one object per rejected row,
 * written only if a row is rejected).
 */
export class BatchScorer {
  rows = 0;
  scored = 0;
  rejected = 0;
  readonly perClass: Record<string, number> = {};
  private pending: Reject[] = [];

  constructor(
    private readonly predictor: Predictor,
    private readonly rejects: ObjectWriter,
  ) {}

  get schema() {
    return this.predictor.schema;
  }

  reject(r: Reject): void {
    this.pending.push(r);
  }

  /** The first problem of each row that validateRows finds, by the row's index in `rows`. */
  problems(rows: readonly unknown[]): Map<number, string> {
    const out = new Map<number, string>();
    for (const issue of validateRows(this.schema, rows, Infinity)) {
      if (!out.has(issue.row)) out.set(issue.row, issue.field ? `field "${issue.field}": ${issue.message}` : issue.message);
    }
    return out;
  }

  /**
   * Predicts valid rows; a row whose values overflow the model's arithmetic
   * (finite but extreme, e.g. 1e308) gets undefined and is rejected, as the
   * server answers 400 for it. `rows` count toward the total only here.
   */
  predict(rows: readonly FeatureRow[], describe: (i: number) => Omit<Reject, 'reason'>): (Scored | undefined)[] {
    const predictions = this.predictor.predictValid(rows);
    const out: (Scored | undefined)[] = new Array(rows.length);
    for (let i = 0; i < predictions.length; i++) {
      const p = predictions[i];
      if (Number.isFinite(p.confidence)) {
        out[i] = p;
        this.perClass[p.prediction] = (this.perClass[p.prediction] ?? 0) + 1;
      } else {
        this.reject({ ...describe(i), reason: 'the values are too far out of range to score' });
      }
    }
    return out;
  }

  /**
   * Predicts rows `from` to `to` of feature columns (in the schema's order)
   * into `predictions` and `confidences` from `at` on (Predictor.predictColumns);
   * false when any of them must be scored as a row object instead, to be
   * validated or rejected.
   */
  predictColumns(columns: readonly FeatureColumn[], from: number, to: number, predictions: string[], confidences: Float64Array, at: number): boolean {
    if (!this.predictor.predictColumns(columns, from, to, predictions, confidences, at)) return false;
    for (let i = at; i < at + to - from; i++) this.perClass[predictions[i]] = (this.perClass[predictions[i]] ?? 0) + 1;
    return true;
  }

  /** Counts a batch's rows and writes its rejects, in row order. */
  async endBatch(rows: number): Promise<void> {
    this.rows += rows;
    if (!this.pending.length) {
      this.scored += rows;
      return;
    }
    this.pending.sort((a, b) => a.row - b.row);
    this.rejected += this.pending.length;
    this.scored += rows - this.pending.length;
    const lines = this.pending.map((r) => JSON.stringify(r, jsonValue)).join('\n') + '\n';
    this.pending = [];
    await this.rejects.write(encoder.encode(lines));
  }
}
