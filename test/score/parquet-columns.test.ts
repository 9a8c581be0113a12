// rookery score decodes flat Parquet column chunks itself (scripts/score/
// parquet-columns.ts, on hyparquet's page decoders). Every value must be what
// hyparquet's own reader returns for the same file: files written by pyarrow
// (data page v1 and v2, dictionary and plain, snappy and none; made by
// data/pyarrow-parquet.py) and by hyparquet-writer, with nulls and several
// pages per chunk.
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects, type ColumnChunk, type FileMetaData } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { arrayBufferOf as bufferOf, chunkRange } from '../../scripts/score/parquet.ts';
import { ColumnBuffer, columnPaths, decodeColumn } from '../../scripts/score/parquet-columns.ts';

const PYARROW = ['pyarrow-v1-dictionary-snappy.parquet', 'pyarrow-v2-plain-none.parquet', 'pyarrow-v2-dictionary-snappy.parquet'];
const fixture = (name: string) => readFileSync(new URL(`./data/${name}`, import.meta.url));


/** Each row group's columns as decodeColumn reads them, row by row, as objects like parquetReadObjects's. */
function decodedRows(file: Uint8Array, metadata: FileMetaData, buffers = new Map<string, ColumnBuffer>()): Record<string, unknown>[] {
  const paths = columnPaths(metadata);
  const rows: Record<string, unknown>[] = [];
  for (const group of metadata.row_groups) {
    const count = Number(group.num_rows);
    const columns = group.columns.map((chunk: ColumnChunk) => {
      const name = chunk.meta_data!.path_in_schema[0];
      const { start, end } = chunkRange(chunk);
      const buffer = buffers.get(name) ?? buffers.set(name, new ColumnBuffer()).get(name)!;
      return { name, column: decodeColumn(file.subarray(start, end), chunk, paths.get(name)!, count, buffer) };
    });
    for (let i = 0; i < count; i++) rows.push(Object.fromEntries(columns.map(({ name, column }) => [name, column.at(i)])));
  }
  return rows;
}

async function expectAsHyparquet(file: Uint8Array): Promise<Record<string, unknown>[]> {
  const metadata = parquetMetadata(bufferOf(file));
  const expected = await parquetReadObjects({ file: bufferOf(file) });
  const rows = decodedRows(file, metadata);
  expect(rows).toHaveLength(expected.length);
  rows.forEach((row, i) => expect(row, `row ${i}`).toStrictEqual(expected[i]));
  return rows;
}

describe('decodeColumn', () => {
  it.each(PYARROW)('reads %s as hyparquet does: every type, nulls, several pages per chunk, two row groups', async (name) => {
    const file = fixture(name);
    const metadata = parquetMetadata(bufferOf(file));
    expect(metadata.created_by).toMatch(/^parquet-cpp-arrow/);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([800, 400]);
    const rows = await expectAsHyparquet(file);
    // What the generating script wrote, independently of either reader.
    expect(rows[0]).toStrictEqual({ id: null, count: null, mass: null, ratio: null, flag: null, island: null, note: null });
    expect(rows[1000]).toStrictEqual({ id: 1_000_003_000n, count: ((1000 * 7) % 500) - 250, mass: 2700 + ((1000 * 37) % 3600) + 0.25, ratio: 0, flag: false, island: 'Dream', note: 'row 1000 of 1200' });
    expect(rows.filter((r) => r.id === null)).toHaveLength(Math.ceil(1200 / 11));
  });

  it('the pyarrow files hold what their names say: page versions and encodings', () => {
    const encodings = (name: string) => new Set(parquetMetadata(bufferOf(fixture(name))).row_groups.flatMap((g) => g.columns.flatMap((c) => c.meta_data!.encodings)));
    expect(encodings('pyarrow-v1-dictionary-snappy.parquet')).toContain('RLE_DICTIONARY');
    expect(encodings('pyarrow-v2-plain-none.parquet')).not.toContain('RLE_DICTIONARY');
    const codecs = (name: string) => new Set(parquetMetadata(bufferOf(fixture(name))).row_groups.flatMap((g) => g.columns.map((c) => c.meta_data!.codec)));
    expect(codecs('pyarrow-v2-plain-none.parquet')).toEqual(new Set(['UNCOMPRESSED']));
    expect(codecs('pyarrow-v2-dictionary-snappy.parquet')).toEqual(new Set(['SNAPPY']));
  });

  it.each<[string, { codec?: 'UNCOMPRESSED'; encoding?: 'PLAIN' }]>([
    ['dictionary pages, snappy', {}],
    ['plain pages, no compression', { codec: 'UNCOMPRESSED', encoding: 'PLAIN' }],
  ])('reads a hyparquet-writer file (%s) as hyparquet does', async (_, options) => {
    const n = 2500;
    const sometimes = <T,>(i: number, v: T) => (i % 9 === 4 ? null : v);
    const file = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: Array.from({ length: n }, (_, i) => BigInt(i) * 3n), type: 'INT64', encoding: options.encoding },
          { name: 'island', data: Array.from({ length: n }, (_, i) => sometimes(i, ['Biscoe', 'Dream'][i % 2])), type: 'STRING', encoding: options.encoding },
          { name: 'mass', data: Array.from({ length: n }, (_, i) => sometimes(i, 3000 + i / 4)), type: 'DOUBLE', encoding: options.encoding },
          { name: 'flipper', data: Array.from({ length: n }, (_, i) => sometimes(i, 170 + (i % 40))), type: 'INT32', encoding: options.encoding },
          { name: 'ok', data: Array.from({ length: n }, (_, i) => sometimes(i, i % 2 === 0)), type: 'BOOLEAN' },
        ],
        rowGroupSize: 1000,
        pageSize: 512,
        codec: options.codec,
      }),
    );
    const rows = await expectAsHyparquet(file);
    expect(rows[4]).toStrictEqual({ id: 12n, island: null, mass: null, flipper: null, ok: null });
    expect(rows[2001]).toStrictEqual({ id: 6003n, island: 'Dream', mass: 3000 + 2001 / 4, flipper: 170 + (2001 % 40), ok: false });
  });

  it('a chunk holding fewer values than its row group has rows is refused, not filled from the buffer\'s last group', () => {
    const file = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'c', data: [1.5, 2.5], type: 'DOUBLE' }] }));
    const metadata = parquetMetadata(bufferOf(file));
    const chunk = metadata.row_groups[0].columns[0];
    const { start, end } = chunkRange(chunk);
    const buffer = new ColumnBuffer();
    expect(decodeColumn(file.subarray(start, end), chunk, columnPaths(metadata).get('c')!, 2, buffer).at(1)).toBe(2.5);
    expect(() => decodeColumn(file.subarray(start, end), chunk, columnPaths(metadata).get('c')!, 3, buffer)).toThrow('column c holds 2 values but its row group has 3 rows');
  });

  it('a column buffer reused for another chunk holds only the new chunk, whatever the types and sizes', () => {
    const numbers = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'c', data: [1.5, null, 3.5, 4.5], type: 'DOUBLE' }] }));
    const strings = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'c', data: ['a', null], type: 'STRING' }] }));
    const buffers = new Map<string, ColumnBuffer>();
    const read = (file: Uint8Array) => decodedRows(file, parquetMetadata(bufferOf(file)), buffers).map((r) => r.c);
    expect(read(numbers)).toEqual([1.5, null, 3.5, 4.5]);
    expect(read(strings)).toEqual(['a', null]);
    expect(read(numbers)).toEqual([1.5, null, 3.5, 4.5]);
    expect(buffers.get('c')!.length).toBe(4);
  });
});
