// The example data, loaded once per test file, and a registry holding a model trained on it.
import { join } from 'node:path';
import { saveArtifact } from '../../model/artifact.ts';
import { loadDataset, type Dataset } from '../../model/dataset.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { loadSchema, type Schema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, trainWithCrossValidation } from '../../model/train.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';

export const PENGUINS_CSV = DEFAULT_DATA_PATH;
export const PENGUINS_SCHEMA = DEFAULT_SCHEMA_PATH;

let schema: Schema | undefined;
let data: Dataset | undefined;

export function penguinsSchema(): Schema {
  return (schema ??= loadSchema(PENGUINS_SCHEMA));
}

/** data/penguins.csv (344 rows). Shared: do not mutate it; take a `subset` first. */
export function penguins(): Dataset {
  return (data ??= loadDataset(PENGUINS_CSV, penguinsSchema()));
}

/**
 * `<work>/registry` holding penguins version 1 as champion, trained on the
 * example data with 2 folds (quick): what the apps find after `npm start`.
 */
export async function registryWithChampion(work: string): Promise<string> {
  const registry = join(work, 'registry');
  const data = penguins();
  const result = trainWithCrossValidation(data, { ...DEFAULT_TRAIN_OPTIONS, folds: 2 });
  saveArtifact(join(work, 'artifact'), result.params, { evaluation: result.evaluation, options: result.options, rows: data.size }, { example: data });
  await new LocalRegistry(registry).register('penguins', join(work, 'artifact'), { alias: 'champion' });
  return registry;
}
