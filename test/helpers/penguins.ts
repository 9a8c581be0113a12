// The example data, loaded once per test file.
import { loadDataset, type Dataset } from '../../model/dataset.ts';
import { loadSchema, type Schema } from '../../model/schema.ts';
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
