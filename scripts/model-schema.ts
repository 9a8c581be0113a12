import { resolveModelSource } from '../container/config.ts';
import { loadSchema, type Schema } from '../model/schema.ts';
import { UserError } from '../model/user-error.ts';
import type { RookeryConfig } from './config.ts';
import type { OptionTable } from './help.ts';
import { loadModelArtifact } from './model-load.ts';

/** The two ways traffic, label and monitor take the dataset's schema. */
export const SCHEMA_FLAGS = {
  model: {
    type: 'string',
    value: 'M',
    description: "take the dataset's schema (columns, target, classes) from this model:\nmodels:/NAME@ALIAS, models:/NAME/VERSION or a model directory",
  },
  schema: { type: 'string', value: 'FILE', description: 'or from this schema file (default data/penguins.schema.json, or ROOKERY_SCHEMA)' },
} as const satisfies OptionTable;

/**
 * The schema a data-reading command works with: the one the model's artifact
 * ships (model.json) with --model, else the --schema file, else ROOKERY_SCHEMA
 * or the penguins schema.
 */
export async function commandSchema(values: { model?: string; schema?: string }, config: RookeryConfig): Promise<Schema> {
  if (values.model !== undefined && values.schema !== undefined) {
    throw new UserError('pass --model or --schema, not both: the model already ships its schema', { exitCode: 2 });
  }
  const flag = values.model?.trim();
  if (flag === undefined) return loadSchema(values.schema ?? config.schemaPath);
  if (!flag) throw new UserError('--model needs a value: models:/NAME@ALIAS, models:/NAME/VERSION or a model directory', { exitCode: 2 });
  // The same reading of --model as `rookery serve`'s: a registry reference or a model directory.
  return (await loadModelArtifact(resolveModelSource(flag, {}), config)).params.schema;
}
