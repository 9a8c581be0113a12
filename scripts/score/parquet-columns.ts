// A flat Parquet column chunk decoded page by page into one array sized for
// the row group, with hyparquet's own page, level and value decoders.
//
// Why not hyparquet's parquetRead: it assembles every optional column through
// its general (Dremel) list assembly, pushing each value, a null or a boxed
// number, into a growing array. Those arrays and boxed numbers live for the
// whole row group, so they outlive scavenges and were promoted: about 10 MB of
// old-generation garbage per 100,000-row group, collected only by the next
// full collection, several row groups later (bench:score: 197 MiB for
// 1,000,000 rows). A flat column needs no assembly: a value per row, or null
// where its definition level says so, written into arrays kept from row
// group to row group, a Float64Array (and a null mask) for numbers.
import type { ColumnChunk, DecodedArray, FileMetaData, SchemaTree } from 'hyparquet';
import { parquetSchema, snappyUncompress } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { convert, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import type { ColumnDecoder, Compressors, DataReader } from 'hyparquet/src/types.js';
import type { FeatureColumn } from '../../model/features.ts';

/** A row group's column: the value of each row by its index in the group, `null` where it is missing. */
export interface Column {
  readonly length: number;
  at(i: number): unknown;
  /** The same values as the model reads a column (numbers unboxed, with their missing mask), to score without an object per row. */
  feature(): FeatureColumn;
}

const readerOf = (bytes: Uint8Array): DataReader => ({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 });

/** Numbers are held unboxed; anything else (strings, bigints, dates) in an array. */
const isNumbers = (values: DecodedArray) => values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array;

/**
 * Where a column's values go: numbers or other values, as the first page's
 * values are (every page of a chunk converts to the same type). Its arrays are
 * kept from row group to row group (`reset`): a row group's arrays are large
 * objects that outlive scavenges, so new ones for each group would pile up in
 * the old generation until the next full collection.
 */
export class ColumnBuffer implements Column {
  length = 0;
  private numbers?: Float64Array;
  private nulls?: Uint8Array;
  private values?: unknown[];
  private kind?: 'numbers' | 'values';

  /** Ready for a row group of `rows` rows; what it held before is gone. */
  reset(rows: number): void {
    this.length = rows;
    this.kind = undefined;
  }

  /** Rows `row` onwards: `present(k)` says whether row + k has a value, taken in order from `values` (through `index`, for a dictionary). */
  fill(row: number, count: number, present: ((k: number) => boolean) | undefined, values: DecodedArray, index?: ArrayLike<number>): void {
    this.kind ??= this.allocate(isNumbers(values) ? 'numbers' : 'values');
    const { numbers, nulls, values: held } = this;
    const end = Math.min(this.length, row + count);
    let v = 0;
    for (let r = row; r < end; r++) {
      const has = !present || present(r - row);
      const value = has ? values[index ? index[v++] : v++] : null;
      if (this.kind === 'numbers') {
        nulls![r] = has ? 0 : 1;
        numbers![r] = has ? (value as number) : 0;
      } else held![r] = value;
    }
  }

  at(i: number): unknown {
    if (this.kind === 'numbers') return this.nulls![i] ? null : this.numbers![i];
    return this.values?.[i] ?? null;
  }

  feature(): FeatureColumn {
    return this.kind === 'numbers' ? { numbers: this.numbers!, missing: this.nulls! } : { values: this.values ?? [] };
  }

  private allocate(kind: 'numbers' | 'values'): 'numbers' | 'values' {
    if (kind === 'numbers' && (this.numbers?.length ?? 0) < this.length) {
      this.numbers = new Float64Array(this.length);
      this.nulls = new Uint8Array(this.length);
    }
    if (kind === 'values' && (this.values?.length ?? 0) < this.length) this.values = new Array(this.length).fill(null);
    return kind;
  }
}

/**
 * Data pages of numeric columns are decompressed into one reused buffer:
 * their values are copied out (ColumnBuffer.fill) before the next page is
 * read. Other types may keep views of their page (raw bytes), and a
 * dictionary lives for its whole chunk, so those pages get their own buffer.
 */
const SCRATCH_TYPES = new Set(['BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE']);
let scratch = new Uint8Array(0);
const scratchPages: Compressors = {
  SNAPPY(input, size) {
    if (scratch.byteLength < size) scratch = new Uint8Array(size);
    const page = scratch.subarray(0, size);
    snappyUncompress(input, page);
    return page;
  },
};

/** Each top-level column's path in the schema tree, as hyparquet's decoders take it. */
export function columnPaths(metadata: FileMetaData): Map<string, SchemaTree[]> {
  const tree = parquetSchema(metadata);
  return new Map(tree.children.map((child) => [child.element.name, [tree, child]]));
}

/**
 * One flat column chunk's `rows` values into `out`; `bytes` holds the chunk
 * from its first page (dictionary or data). Pages of any encoding and codec
 * hyparquet reads.
 */
export function decodeColumn(bytes: Uint8Array, chunk: ColumnChunk, schemaPath: SchemaTree[], rows: number, out: ColumnBuffer): Column {
  const meta = chunk.meta_data!;
  const element = schemaPath[schemaPath.length - 1].element;
  const compressors = SCRATCH_TYPES.has(meta.type) ? scratchPages : undefined;
  const decoder: ColumnDecoder = { pathInSchema: meta.path_in_schema, type: meta.type, element, schemaPath, codec: meta.codec, parsers: DEFAULT_PARSERS, compressors, utf8: true };
  out.reset(rows);
  const reader = readerOf(bytes);
  let dictionary: DecodedArray | undefined;
  let row = 0;
  while (row < rows && reader.offset < bytes.byteLength) {
    const header = parquetHeader(reader);
    const page = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    let read: { definitionLevels: number[] | undefined; dataPage: DecodedArray };
    let encoding: string;
    let count: number;
    if (header.type === 'DICTIONARY_PAGE') {
      const plain = decompressPage(page, header.uncompressed_page_size, meta.codec, undefined);
      dictionary = convert(readPlain(readerOf(plain), meta.type, header.dictionary_page_header!.num_values, element.type_length), decoder);
      continue;
    } else if (header.type === 'DATA_PAGE') {
      const daph = header.data_page_header!;
      read = readDataPage(decompressPage(page, header.uncompressed_page_size, meta.codec, compressors), daph, decoder);
      ({ encoding, num_values: count } = daph);
    } else if (header.type === 'DATA_PAGE_V2') {
      const daph = header.data_page_header_v2!;
      read = readDataPageV2(page, header, decoder);
      ({ encoding, num_rows: count } = daph);
    } else continue; // an index page holds no rows
    const levels = read.definitionLevels?.length ? read.definitionLevels : undefined;
    const present = levels && ((k: number) => levels[k] > 0);
    if (dictionary && encoding.endsWith('_DICTIONARY')) out.fill(row, count, present, dictionary, read.dataPage as ArrayLike<number>);
    else out.fill(row, count, present, convert(read.dataPage, decoder));
    row += count;
  }
  // A reused buffer would otherwise answer the previous row group's values for the rows this chunk lacks.
  if (row < rows) throw new Error(`column ${meta.path_in_schema.join('.')} holds ${row} values but its row group has ${rows} rows`);
  return out;
}
