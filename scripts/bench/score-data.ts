// Batch files for `npm run bench:score` and the `rookery score` tests:
// penguins-like rows, generated (so any size is cheap), as CSV and Parquet.
import { writeFileSync } from 'node:fs';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import type { FeatureRow } from '../../model/dataset.ts';

export const FEATURES = ['island', 'culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex'] as const;

/** Row i of a deterministic spread of penguins-like rows, some with missing values. */
export function generatedRow(i: number): FeatureRow {
  const islands = ['Biscoe', 'Dream', 'Torgersen'];
  return {
    island: i % 17 === 0 ? null : islands[i % 3],
    culmen_length_mm: 32 + ((i * 7) % 260) / 10,
    culmen_depth_mm: 13 + ((i * 11) % 85) / 10,
    flipper_length_mm: 172 + ((i * 13) % 60),
    body_mass_g: i % 23 === 0 ? null : 2700 + ((i * 37) % 3600),
    sex: i % 2 ? 'MALE' : 'FEMALE',
  };
}

const PIECE = 50_000;
const csvCell = (v: unknown) => (v === null ? '' : String(v));

/** `rows` generated rows as CSV with an id column first, written a piece at a time. */
export function writeGeneratedCsv(path: string, rows: number): void {
  writeFileSync(path, `id,${FEATURES.join(',')}\n`);
  for (let start = 0; start < rows; start += PIECE) {
    let text = '';
    for (let i = start; i < Math.min(rows, start + PIECE); i++) {
      const r = generatedRow(i);
      text += `${i},${FEATURES.map((f) => csvCell(r[f])).join(',')}\n`;
    }
    writeFileSync(path, text, { flag: 'a' });
  }
}

/** The same rows as Parquet (INT64 id, STRING categories, DOUBLE numbers, INT32 flipper length), `rowGroupSize` rows per row group. */
export function writeGeneratedParquet(path: string, rows: number, rowGroupSize: number): void {
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: [
      { name: 'root', num_children: 7 },
      { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'island', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'culmen_length_mm', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'culmen_depth_mm', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'flipper_length_mm', type: 'INT32', repetition_type: 'OPTIONAL' },
      { name: 'body_mass_g', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'sex', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    ],
  });
  for (let start = 0; start < rows; start += rowGroupSize) {
    const group = Array.from({ length: Math.min(rowGroupSize, rows - start) }, (_, k) => generatedRow(start + k));
    writer.write({
      columnData: [{ name: 'id', data: group.map((_, k) => BigInt(start + k)) }, ...FEATURES.map((name) => ({ name, data: group.map((r) => r[name]) }))],
      rowGroupSize,
    });
  }
  writer.finish();
}
