import type { Schema } from '../../model/schema.ts';

/**
 * Captured rows held column by column (in no particular order): numeric features as
 * Float64Array (NaN for missing), categorical ones, predictions and labels as
 * arrays of strings shared per distinct value (so a million rows cost a
 * pointer each, not a string each).
 */
export interface CaptureColumns {
  /** Where the rows came from, for messages. */
  source: string;
  size: number;
  columns: Record<string, Float64Array | (string | null)[]>;
  prediction: (string | null)[];
  /** NaN where the capture holds no confidence. */
  confidence: Float64Array;
  /** The ground truth joined to each row, null where there is none yet. */
  label: (string | null)[];
  /** Capture time, epoch milliseconds (NaN when unknown). */
  time: Float64Array;
  /** Per-row ids where the store has them (JSON Lines: the record's event id). */
  ids?: string[];
  /** Feature columns the store does not have at all. */
  missingColumns: string[];
  /** Per feature: values whose type is not the schema's (text in a numeric column), read as missing. */
  typeMismatches: Record<string, number>;
  /** Captured records that could not be read, by reason (JSON Lines), with a few of their ids. */
  skipped: SkippedRecords[];
  /** How many records (requests) the rows came from, when the store keeps them. */
  records?: number;
  /** Ground truth records that matched no captured record, or whose label count differs from the record's rows. */
  unmatchedLabels?: number;
}

export interface SkippedRecords {
  reason: string;
  count: number;
  examples: string[];
}

export interface ReadOptions {
  /** Keep only the most recent N rows (default: all). */
  samples?: number;
  /** JSON Lines: where SageMaker-format ground truth lives. */
  groundTruth?: string;
}

/** Reads captures into columns: `sqlite:///path.db`, `file:///dir` or `s3://bucket/prefix` (SageMaker Data Capture JSON Lines). */
export interface CaptureReader {
  read(schema: Schema, options: ReadOptions): Promise<CaptureColumns>;
}

/** Interns strings so equal values share one string; returns null for null. */
export class Interner {
  private readonly values = new Map<string, string>();

  get(value: string | null | undefined): string | null {
    if (value === null || value === undefined) return null;
    const known = this.values.get(value);
    if (known !== undefined) return known;
    this.values.set(value, value);
    return value;
  }
}

/** Appends rows one at a time into growable typed columns; `finish` trims them. */
export class ColumnBuilder {
  size = 0;
  private capacity: number;
  readonly numeric: Record<string, Float64Array> = {};
  readonly categorical: Record<string, (string | null)[]> = {};
  readonly prediction: (string | null)[] = [];
  confidence: Float64Array;
  readonly label: (string | null)[] = [];
  time: Float64Array;
  readonly ids: string[] | undefined;
  readonly typeMismatches: Record<string, number> = {};
  private readonly interner = new Interner();

  constructor(
    private readonly schema: Schema,
    options: { capacity?: number; ids?: boolean } = {},
  ) {
    this.capacity = Math.max(16, options.capacity ?? 1024);
    for (const f of schema.features) {
      if (f.type === 'numeric') this.numeric[f.name] = new Float64Array(this.capacity);
      else this.categorical[f.name] = [];
      this.typeMismatches[f.name] = 0;
    }
    this.confidence = new Float64Array(this.capacity);
    this.time = new Float64Array(this.capacity);
    this.ids = options.ids ? [] : undefined;
  }

  private grow(): void {
    this.capacity *= 2;
    const bigger = (a: Float64Array) => {
      const b = new Float64Array(this.capacity);
      b.set(a);
      return b;
    };
    for (const name of Object.keys(this.numeric)) this.numeric[name] = bigger(this.numeric[name]);
    this.confidence = bigger(this.confidence);
    this.time = bigger(this.time);
  }

  /** Starts a row; set its values with the setters, all of which default to missing. */
  add(prediction: string | null, confidence: number | null, label: string | null, time: number, id?: string): number {
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    this.prediction.push(this.interner.get(prediction));
    this.confidence[i] = typeof confidence === 'number' ? confidence : Number.NaN;
    this.label.push(this.interner.get(label));
    this.time[i] = time;
    if (this.ids) this.ids.push(id ?? '');
    for (const name of Object.keys(this.numeric)) this.numeric[name][i] = Number.NaN;
    for (const name of Object.keys(this.categorical)) this.categorical[name].push(null);
    return i;
  }

  /** Sets a feature of row i from whatever the store held, counting values of the wrong type as missing. */
  set(i: number, feature: string, value: unknown): void {
    if (value === null || value === undefined) return;
    const numeric = this.numeric[feature];
    if (numeric) {
      if (typeof value === 'number' && Number.isFinite(value)) numeric[i] = value;
      else if (typeof value === 'bigint') numeric[i] = Number(value);
      else this.typeMismatches[feature]++;
      return;
    }
    const categorical = this.categorical[feature];
    if (!categorical) return;
    if (typeof value === 'string') categorical[i] = this.interner.get(value);
    else this.typeMismatches[feature]++;
  }

  setLabel(i: number, label: string | null): void {
    this.label[i] = this.interner.get(label);
  }

  finish(source: string, extra: Partial<CaptureColumns> = {}): CaptureColumns {
    const n = this.size;
    const columns: Record<string, Float64Array | (string | null)[]> = {};
    for (const f of this.schema.features) columns[f.name] = f.type === 'numeric' ? this.numeric[f.name].slice(0, n) : this.categorical[f.name];
    return {
      source,
      size: n,
      columns,
      prediction: this.prediction,
      confidence: this.confidence.slice(0, n),
      label: this.label,
      time: this.time.slice(0, n),
      ...(this.ids ? { ids: this.ids } : {}),
      missingColumns: [],
      typeMismatches: this.typeMismatches,
      skipped: [],
      ...extra,
    };
  }
}

/** Keeps the `samples` most recent rows (largest time first; ties keep their order). */
export function mostRecent(columns: CaptureColumns, samples: number | undefined): CaptureColumns {
  const n = columns.size;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const ta = columns.time[a];
    const tb = columns.time[b];
    if (Number.isNaN(ta) || Number.isNaN(tb)) return Number.isNaN(ta) === Number.isNaN(tb) ? a - b : Number.isNaN(ta) ? 1 : -1;
    return tb - ta || a - b;
  });
  const keep = samples === undefined ? order : order.slice(0, samples);
  const pickF = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const pickS = <T>(a: T[]) => keep.map((i) => a[i]);
  const out: Record<string, Float64Array | (string | null)[]> = {};
  for (const [name, col] of Object.entries(columns.columns)) out[name] = col instanceof Float64Array ? pickF(col) : pickS(col);
  return {
    ...columns,
    size: keep.length,
    columns: out,
    prediction: pickS(columns.prediction),
    confidence: pickF(columns.confidence),
    label: pickS(columns.label),
    time: pickF(columns.time),
    ...(columns.ids ? { ids: pickS(columns.ids) } : {}),
  };
}

/** Opens the reader for a capture location URI; cloud stores load their SDK only when used. */
export async function openCaptureReader(uri: string): Promise<CaptureReader> {
  const trimmed = uri.trim();
  if (trimmed.startsWith('sqlite://')) {
    const { SqliteCaptureReader } = await import('./sqlite-reader.ts');
    return new SqliteCaptureReader(trimmed);
  }
  const { JsonlCaptureReader } = await import('./jsonl-reader.ts');
  return new JsonlCaptureReader(trimmed);
}
