// Inputs for the `rookery score` tests: penguins rows in each format, and a large generated CSV.
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadArtifact } from '../../model/artifact.ts';
import type { FeatureRow } from '../../model/dataset.ts';
import type { Prediction } from '../../model/predictor.ts';
import { registryWithChampion } from '../helpers/penguins.ts';

export { FEATURES, generatedRow, writeGeneratedCsv, writeGeneratedParquet } from '../../scripts/bench/score-data.ts';

/** A registry with the champion, and the same model's predictions computed in this process, to compare with. */
export async function scoringModel(work: string): Promise<{ registry: string; predict: (rows: FeatureRow[]) => Prediction[] }> {
  const registry = await registryWithChampion(work);
  const predictor = loadArtifact(join(work, 'artifact')).predictor;
  return { registry, predict: (rows) => predictor.predict(rows) };
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
