// Decodes the capture table's records (https://www.sqlite.org/fileformat2.html#record_format)
// straight into a ColumnBuilder: numbers as numbers, each text value as one
// shared string per distinct byte sequence (found by a hash of its bytes, so
// repeated values cost no decoding), and the unwanted columns skipped.

import type { Schema } from '../../model/schema.ts';
import { ColumnBuilder, labelSourceCode } from './capture-reader.ts';
import { eachTableCell, UnsupportedLayout, type Pages } from './sqlite-file.ts';

/** Where each wanted column is in the table (its position in PRAGMA table_info), -1 when the table lacks it. */
export interface RecordLayout {
  features: number[];
  prediction: number;
  confidence: number;
  label: number;
  date: number;
  labelSource: number;
}

/** A blob or other non-text, non-number cell: counted as a type mismatch, as better-sqlite3's Buffer would be. */
const OTHER = Symbol('other');

/** Whether `length` bytes of `bytes` from `at` equal `copy` (a byte loop: Buffer.equals on a subarray costs an object per call). */
function sameBytes(copy: Uint8Array, bytes: Uint8Array, at: number, length: number): boolean {
  if (copy.length !== length) return false;
  // From the end: a date and most values differ there first.
  for (let i = length - 1; i >= 0; i--) if (copy[i] !== bytes[at + i]) return false;
  return true;
}

class TextCache {
  private readonly byHash = new Map<number, { bytes: Uint8Array; text: string }[]>();

  get(bytes: Buffer, at: number, length: number): string {
    // Capture values are few and differ in length or at their ends: hashing those is enough to find the candidates, which are then compared in full.
    const h = length === 0 ? 0 : length * 16777216 + bytes[at] * 65536 + bytes[at + (length >> 1)] * 256 + bytes[at + length - 1];
    let bucket = this.byHash.get(h);
    if (bucket) {
      for (const e of bucket) if (sameBytes(e.bytes, bytes, at, length)) return e.text;
    } else this.byHash.set(h, (bucket = []));
    const copy = Uint8Array.from(bytes.subarray(at, at + length));
    const text = bytes.toString('utf8', at, at + length);
    bucket.push({ bytes: copy, text });
    return text;
  }
}

const SIZES = [0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0];
const PREDICTION = -1;
const CONFIDENCE = -2;
const LABEL = -3;
const DATE = -4;
const SOURCE = -5;

/** One DataView per page buffer (the file, the WAL): reading a double through it costs no allocation. */
const views = new WeakMap<Buffer, DataView>();
function viewOf(bytes: Buffer): DataView {
  let view = views.get(bytes);
  if (!view) views.set(bytes, (view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  return view;
}

function cellValue(texts: TextCache, bytes: Buffer, t: number, at: number): unknown {
  switch (t) {
    case 0: return null; // prettier-ignore
    case 1: return bytes.readInt8(at); // prettier-ignore
    case 2: return bytes.readInt16BE(at); // prettier-ignore
    case 3: return bytes.readIntBE(at, 3); // prettier-ignore
    case 4: return bytes.readInt32BE(at); // prettier-ignore
    case 5: return bytes.readIntBE(at, 6); // prettier-ignore
    case 6: return Number(bytes.readBigInt64BE(at)); // prettier-ignore
    case 7: return viewOf(bytes).getFloat64(at); // prettier-ignore
    case 8: return 0; // prettier-ignore
    case 9: return 1; // prettier-ignore
    default: return t >= 13 && t % 2 === 1 ? texts.get(bytes, at, (t - 13) / 2) : OTHER;
  }
}

/** One table row at a time into the builder. */
class RecordDecoder {
  private readonly columns: number;
  /** slot[c]: 0 skip, 1 + k feature k, or one of PREDICTION … SOURCE. */
  private readonly slot: Int32Array;
  private readonly types: Float64Array;
  private readonly offsets: Int32Array;
  private readonly features: unknown[];
  private readonly texts = new TextCache();
  private readonly maxLocal: number;
  private lastDate: Uint8Array | null = null;
  private lastTime = Number.NaN;

  constructor(
    layout: RecordLayout,
    usable: number,
    readonly builder: ColumnBuilder,
  ) {
    this.columns = Math.max(...layout.features, layout.prediction, layout.confidence, layout.label, layout.date, layout.labelSource) + 1;
    this.slot = new Int32Array(this.columns);
    layout.features.forEach((c, k) => c >= 0 && (this.slot[c] = k + 1));
    for (const [c, s] of [[layout.prediction, PREDICTION], [layout.confidence, CONFIDENCE], [layout.label, LABEL], [layout.date, DATE], [layout.labelSource, SOURCE]] as const) if (c >= 0) this.slot[c] = s;
    this.types = new Float64Array(this.columns);
    this.offsets = new Int32Array(this.columns);
    this.features = new Array<unknown>(layout.features.length).fill(null);
    // A table leaf cell keeps at most usable - 35 payload bytes on its page.
    this.maxLocal = usable - 35;
  }

  /** Reads the cell's varints and the record header: each wanted column's serial type and offset. */
  private header(bytes: Buffer, cell: number): void {
    let p = cell;
    let payload = 0;
    for (let i = 0; i < 9; i++) {
      const b = bytes[p++];
      if (i === 8) { payload = payload * 256 + b; break; } // prettier-ignore
      payload = payload * 128 + (b & 0x7f);
      if (b < 0x80) break;
    }
    if (payload > this.maxLocal) throw new UnsupportedLayout('a row spills onto overflow pages');
    for (let i = 0; i < 9 && bytes[p++] >= 0x80; i++);
    let q = p;
    let headerSize = 0;
    for (let b = bytes[q++]; ; b = bytes[q++]) {
      headerSize = headerSize * 128 + (b & 0x7f);
      if (b < 0x80) break;
    }
    const headerEnd = p + headerSize;
    let body = headerEnd;
    let n = 0;
    while (q < headerEnd) {
      let t = 0;
      for (let b = bytes[q++]; ; b = bytes[q++]) {
        t = t * 128 + (b & 0x7f);
        if (b < 0x80) break;
      }
      if (n < this.columns) {
        this.types[n] = t;
        this.offsets[n] = body;
      }
      n++;
      body += t < 12 ? SIZES[t] : (t - (t % 2 ? 13 : 12)) / 2;
    }
    // Columns added after the row was written (ALTER TABLE ADD COLUMN) are NULL.
    for (let c = n; c < this.columns; c++) this.types[c] = 0;
  }

  /** A request's rows share one date: its bytes are compared with the previous row's before decoding. */
  private time(bytes: Buffer, t: number, at: number): number {
    if (!(t >= 13 && t % 2 === 1)) return Number.NaN;
    const length = (t - 13) / 2;
    if (!this.lastDate || !sameBytes(this.lastDate, bytes, at, length)) {
      this.lastDate = Uint8Array.from(bytes.subarray(at, at + length));
      this.lastTime = Date.parse(bytes.toString('utf8', at, at + length));
    }
    return this.lastTime;
  }

  row(bytes: Buffer, cell: number): void {
    this.header(bytes, cell);
    let prediction: unknown = null;
    let confidence: unknown = null;
    let label: unknown = null;
    let source: unknown = null;
    let time = Number.NaN;
    for (let c = 0; c < this.columns; c++) {
      const s = this.slot[c];
      if (s === 0) continue;
      if (s === DATE) {
        time = this.time(bytes, this.types[c], this.offsets[c]);
        continue;
      }
      const v = cellValue(this.texts, bytes, this.types[c], this.offsets[c]);
      if (s > 0) this.features[s - 1] = v;
      else if (s === PREDICTION) prediction = v;
      else if (s === CONFIDENCE) confidence = v;
      else if (s === LABEL) label = v;
      else source = v;
    }
    const i = this.builder.add(typeof prediction === 'string' ? prediction : null, typeof confidence === 'number' ? confidence : null, typeof label === 'string' ? label : null, time, undefined, labelSourceCode(source));
    for (let k = 0; k < this.features.length; k++) {
      this.builder.set(i, k, this.features[k] === OTHER ? new Uint8Array(0) : this.features[k]);
      this.features[k] = null;
    }
  }
}

/** Reads every row of the table at `root` into a new ColumnBuilder. */
export function decodeTable(pages: Pages, root: number, layout: RecordLayout, schema: Schema, capacity: number): ColumnBuilder {
  const decoder = new RecordDecoder(layout, pages.usable, new ColumnBuilder(schema, { capacity }));
  try {
    eachTableCell(pages, root, (bytes, cell) => decoder.row(bytes, cell));
  } finally {
    pages.close();
  }
  return decoder.builder;
}
