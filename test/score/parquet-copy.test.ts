// `rookery score` on Parquet copies a fully scored row group's input column
// chunks byte for byte: the copies must be the input's bytes, their metadata
// must point at them in the output (and at nothing of the input's), and the
// file must read back as the input's rows plus prediction and confidence.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type ColumnChunk } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkRange } from '../../scripts/score/parquet.ts';
import { runCli } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { FEATURES, generatedRow, scoringModel } from './fixtures.ts';

const temp = useTempDirs('rookery-score-copy-');
let registry = '';
let predict: Awaited<ReturnType<typeof scoringModel>>['predict'];

beforeAll(async () => {
  ({ registry, predict } = await scoringModel(temp()));
});

const TYPES: Partial<Record<string, 'STRING' | 'INT32'>> = { island: 'STRING', sex: 'STRING', flipper_length_mm: 'INT32' };

const chunkBytes = (file: Buffer, chunk: ColumnChunk) => {
  const { start, end } = chunkRange(chunk);
  return file.subarray(start, end);
};

describe('rookery score on Parquet, every row of a group scored', () => {
  it('copies the input column chunks as they are, drops what points into the input, and reads back as input plus scores', async () => {
    const dir = temp();
    const rows = Array.from({ length: 3000 }, (_, i) => generatedRow(i));
    // Several pages per chunk, statistics, offset indexes and a column index: metadata that describes or points into the input.
    const input = Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'note', data: rows.map((_, i) => `row ${i % 7}`), type: 'STRING', columnIndex: true },
          ...FEATURES.map((name) => ({ name, data: rows.map((r) => r[name] ?? null), type: TYPES[name] ?? ('DOUBLE' as const) })),
        ],
        rowGroupSize: 1000,
        pageSize: 1024,
      }),
    );
    writeFileSync(join(dir, 'in.parquet'), input);
    const run = await runCli(['score', '--input', 'in.parquet', '--output', 'out.parquet'], { ROOKERY_REGISTRY: registry }, { cwd: dir });
    expect(run.code, run.stderr).toBe(0);

    const inMeta = await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'in.parquet')));
    expect(inMeta.row_groups[0].columns[0].column_index_offset).toBeDefined();
    expect(inMeta.row_groups[0].columns[2].offset_index_offset).toBeDefined();
    expect(inMeta.row_groups[0].columns[0].meta_data!.statistics).toBeDefined();
    const output = readFileSync(join(dir, 'out.parquet'));
    const file = await asyncBufferFromFile(join(dir, 'out.parquet'));
    const outMeta = await parquetMetadataAsync(file);
    expect(outMeta.row_groups.map((g) => Number(g.num_rows))).toEqual([1000, 1000, 1000]);
    outMeta.row_groups.forEach((group, g) => {
      expect(group.columns).toHaveLength(9);
      inMeta.row_groups[g].columns.forEach((original, c) => {
        const copy = group.columns[c];
        expect(chunkBytes(output, copy).equals(chunkBytes(input, original))).toBe(true);
        expect(copy.meta_data!.path_in_schema).toEqual(original.meta_data!.path_in_schema);
        expect(copy.meta_data!.statistics).toBeUndefined();
        expect([copy.offset_index_offset, copy.column_index_offset]).toEqual([undefined, undefined]);
      });
      const sizes = group.columns.map((c) => c.meta_data!.total_compressed_size);
      expect(group.total_compressed_size).toBe(sizes.reduce((a, b) => a + b));
    });

    const out = await parquetReadObjects({ file });
    const expected = predict(rows);
    expect(out).toHaveLength(rows.length);
    out.forEach((o, i) => {
      expect(o).toMatchObject({ note: `row ${i % 7}`, ...rows[i], prediction: expected[i].prediction });
      expect(o.confidence).toBeCloseTo(expected[i].confidence, 12);
    });
  });
});
