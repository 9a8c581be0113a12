// Inputs for the `rookery score` tests: penguins rows in each format, and a large generated CSV.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadArtifact } from '../../model/artifact.ts';
import type { FeatureRow } from '../../model/dataset.ts';
import type { Prediction } from '../../model/predictor.ts';
import { registryWithChampion } from '../helpers/penguins.ts';

export const FEATURES = ['island', 'culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex'] as const;

/** A registry with the champion, and the same model's predictions computed in this process, to compare with. */
export async function scoringModel(work: string): Promise<{ registry: string; predict: (rows: FeatureRow[]) => Prediction[] }> {
  const registry = await registryWithChampion(work);
  const predictor = loadArtifact(join(work, 'artifact')).predictor;
  return { registry, predict: (rows) => predictor.predict(rows) };
}

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

const csvCell = (v: unknown) => (v === null ? '' : String(v));

/** `rows` generated rows as CSV with an id column first, written in pieces. */
export function writeGeneratedCsv(path: string, rows: number): void {
  writeFileSync(path, `id,${FEATURES.join(',')}\n`);
  for (let start = 0; start < rows; start += 50_000) {
    let text = '';
    for (let i = start; i < Math.min(rows, start + 50_000); i++) {
      const r = generatedRow(i);
      text += `${i},${FEATURES.map((f) => csvCell(r[f])).join(',')}\n`;
    }
    writeFileSync(path, text, { flag: 'a' });
  }
}

/** Rows as Parquet: an INT64 id, the features (numbers as DOUBLE, flipper length as INT32), `rowGroupSize` rows per group. */
export function parquetOf(rows: FeatureRow[], rowGroupSize: number, ids: bigint[] = rows.map((_, i) => BigInt(i))): ArrayBuffer {
  const column = (name: string) => rows.map((r) => r[name] ?? null);
  return parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids, type: 'INT64' },
      { name: 'island', data: column('island'), type: 'STRING' },
      { name: 'culmen_length_mm', data: column('culmen_length_mm'), type: 'DOUBLE' },
      { name: 'culmen_depth_mm', data: column('culmen_depth_mm'), type: 'DOUBLE' },
      { name: 'flipper_length_mm', data: column('flipper_length_mm'), type: 'INT32' },
      { name: 'body_mass_g', data: column('body_mass_g'), type: 'DOUBLE' },
      { name: 'sex', data: column('sex'), type: 'STRING' },
    ],
    rowGroupSize,
  });
}
