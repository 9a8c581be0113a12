import type { Schema } from '../../model/schema.ts';
import { UserError } from '../../model/user-error.ts';

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
  /** Where each row's label came from (LABEL_SOURCE), as `rookery label` recorded it. */
  labelSource: Uint8Array;
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

/** Label source codes: unknown (no label, or ground truth not written by `rookery label`), a dataset row's true class, simulated. */
export const LABEL_SOURCE = { unknown: 0, dataset: 1, simulated: 2 } as const;

export function labelSourceCode(text: unknown): number {
  return text === 'dataset' ? LABEL_SOURCE.dataset : text === 'simulated' ? LABEL_SOURCE.simulated : LABEL_SOURCE.unknown;
}

/** Reads captures into columns: `sqlite:///path.db`, `file:///dir`, `s3://bucket/prefix` or an Azure blob URI (SageMaker Data Capture JSON Lines). */
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

/**
 * Appends rows one at a time into growable columns, every value missing until
 * set; `finish` trims them. Features are addressed by their position in the
 * schema so the per-value work in a million-row read is an array store.
 */
export class ColumnBuilder {
  size = 0;
  private capacity: number;
  private readonly kinds: ('numeric' | 'categorical')[];
  private readonly names: string[];
  private numeric: (Float64Array | undefined)[];
  private readonly categorical: ((string | null)[] | undefined)[];
  private prediction: (string | null)[];
  private confidence: Float64Array;
  private label: (string | null)[];
  private labelSource: Uint8Array;
  private time: Float64Array;
  private readonly ids: string[] | undefined;
  private readonly mismatches: number[];
  private readonly interner = new Interner();

  constructor(schema: Schema, options: { capacity?: number; ids?: boolean } = {}) {
    this.capacity = Math.max(16, options.capacity ?? 1024);
    this.kinds = schema.features.map((f) => f.type);
    this.names = schema.features.map((f) => f.name);
    this.numeric = this.kinds.map((k) => (k === 'numeric' ? new Float64Array(this.capacity).fill(Number.NaN) : undefined));
    this.categorical = this.kinds.map((k) => (k === 'categorical' ? new Array<string | null>(this.capacity).fill(null) : undefined));
    this.prediction = new Array<string | null>(this.capacity).fill(null);
    this.confidence = new Float64Array(this.capacity).fill(Number.NaN);
    this.label = new Array<string | null>(this.capacity).fill(null);
    this.labelSource = new Uint8Array(this.capacity);
    this.time = new Float64Array(this.capacity).fill(Number.NaN);
    this.ids = options.ids ? [] : undefined;
    this.mismatches = this.kinds.map(() => 0);
  }

  private grow(): void {
    const old = this.capacity;
    this.capacity *= 2;
    const floats = (a: Float64Array) => {
      const b = new Float64Array(this.capacity).fill(Number.NaN);
      b.set(a);
      return b;
    };
    const strings = (a: (string | null)[]) => {
      a.length = this.capacity;
      return a.fill(null, old);
    };
    this.numeric = this.numeric.map((a) => a && floats(a));
    this.categorical.forEach((a) => a && strings(a));
    strings(this.prediction);
    strings(this.label);
    this.confidence = floats(this.confidence);
    this.time = floats(this.time);
    const sources = new Uint8Array(this.capacity);
    sources.set(this.labelSource);
    this.labelSource = sources;
  }

  /** Starts a row and returns its index; set its features with `set`, which default to missing. */
  add(prediction: string | null, confidence: number | null, label: string | null, time: number, id?: string, labelSource = 0): number {
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    if (prediction !== null) this.prediction[i] = this.interner.get(prediction);
    if (typeof confidence === 'number') this.confidence[i] = confidence;
    if (label !== null) {
      this.label[i] = this.interner.get(label);
      this.labelSource[i] = labelSource;
    }
    this.time[i] = time;
    if (this.ids) this.ids.push(id ?? '');
    return i;
  }

  /** Sets feature k (schema position) of row i from whatever the store held, counting values of the wrong type as missing. */
  set(i: number, k: number, value: unknown): void {
    if (value === null || value === undefined) return;
    if (this.kinds[k] === 'numeric') {
      if (typeof value === 'number' && Number.isFinite(value)) this.numeric[k]![i] = value;
      else if (typeof value === 'bigint') this.numeric[k]![i] = Number(value);
      else this.mismatches[k]++;
    } else if (typeof value === 'string') this.categorical[k]![i] = this.interner.get(value);
    else this.mismatches[k]++;
  }

  finish(source: string, extra: Partial<CaptureColumns> = {}): CaptureColumns {
    const n = this.size;
    const columns: Record<string, Float64Array | (string | null)[]> = {};
    const typeMismatches: Record<string, number> = {};
    this.names.forEach((name, k) => {
      columns[name] = this.kinds[k] === 'numeric' ? this.numeric[k]!.slice(0, n) : this.categorical[k]!.slice(0, n);
      typeMismatches[name] = this.mismatches[k];
    });
    return {
      source,
      size: n,
      columns,
      prediction: this.prediction.slice(0, n),
      confidence: this.confidence.slice(0, n),
      label: this.label.slice(0, n),
      labelSource: this.labelSource.slice(0, n),
      time: this.time.slice(0, n),
      ...(this.ids ? { ids: this.ids } : {}),
      missingColumns: [],
      typeMismatches,
      skipped: [],
      ...extra,
    };
  }
}

/**
 * The newest-first order when rows were read oldest first (as S3's key order
 * lists a prefix's hourly folders): each run of equal times, from the last,
 * in its own order. Null when the times are not ascending or any is unknown.
 */
function newestFirstOfAscending(time: Float64Array): Uint32Array | null {
  for (let i = 0; i < time.length; i++) if (Number.isNaN(time[i]) || (i > 0 && time[i] < time[i - 1])) return null;
  const order = new Uint32Array(time.length);
  let o = 0;
  for (let end = time.length; end > 0; ) {
    let start = end - 1;
    while (start > 0 && time[start - 1] === time[end - 1]) start--;
    for (let i = start; i < end; i++) order[o++] = i;
    end = start;
  }
  return order;
}

/** Keeps the `samples` most recent rows (largest time first; ties keep their order). */
export function mostRecent(columns: CaptureColumns, samples: number | undefined): CaptureColumns {
  const n = columns.size;
  // A comparison sort of a million rows costs seconds; captures read in time order need none.
  const order =
    newestFirstOfAscending(columns.time) ??
    Uint32Array.from(
      Array.from({ length: n }, (_, i) => i).sort((a, b) => {
        const ta = columns.time[a];
        const tb = columns.time[b];
        if (Number.isNaN(ta) || Number.isNaN(tb)) return Number.isNaN(ta) === Number.isNaN(tb) ? a - b : Number.isNaN(ta) ? 1 : -1;
        return tb - ta || a - b;
      }),
    );
  const keep = samples === undefined ? order : order.subarray(0, samples);
  // Plain loops: a million rows times a dozen columns through map callbacks cost over a second.
  const pickF = (a: Float64Array) => {
    const out = new Float64Array(keep.length);
    for (let j = 0; j < keep.length; j++) out[j] = a[keep[j]];
    return out;
  };
  const pickS = <T>(a: T[]) => {
    const out: T[] = [];
    for (let j = 0; j < keep.length; j++) out.push(a[keep[j]]);
    return out;
  };
  const out: Record<string, Float64Array | (string | null)[]> = {};
  for (const [name, col] of Object.entries(columns.columns)) out[name] = col instanceof Float64Array ? pickF(col) : pickS(col);
  const labelSource = new Uint8Array(keep.length);
  for (let j = 0; j < keep.length; j++) labelSource[j] = columns.labelSource[keep[j]];
  return {
    ...columns,
    size: keep.length,
    columns: out,
    prediction: pickS(columns.prediction),
    confidence: pickF(columns.confidence),
    label: pickS(columns.label),
    labelSource,
    time: pickF(columns.time),
    ...(columns.ids ? { ids: pickS(columns.ids) } : {}),
  };
}

/** Nothing to report on: the monitor exits 2 with this one line. */
export function noCapturesError(source: string): UserError {
  return new UserError(
    `no captured rows in ${source}: send traffic first ('rookery traffic'), or pass the database 'npm start' captures to: --datastore sqlite:///.rookery/start/penguins.db`,
    { exitCode: 2 },
  );
}
