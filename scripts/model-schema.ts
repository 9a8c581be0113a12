import { resolveModelSource } from '../container/config.ts';
import { loadSchema, type Schema } from '../model/schema.ts';
import { UserError } from './command.ts';
import type { RookeryConfig } from './config.ts';
import { loadModelArtifact } from './model-load.ts';

/** Help text for the two flags, shared by traffic, label and monitor; `width` is where the descriptions start. */
export function schemaFlagsHelp(width: number): string {
  const pad = (flag: string) => `  ${flag}`.padEnd(width);
  return `
${pad('--model M')}take the dataset's schema (columns, target, classes) from this model:
${pad('')}models:/NAME@ALIAS, models:/NAME/VERSION or a model directory
${pad('--schema FILE')}or from this schema file (default data/penguins.schema.json, or ROOKERY_SCHEMA)`;
}

export const SCHEMA_FLAGS = {
  model: { type: 'string' },
  schema: { type: 'string' },
} as const;

/**
 * The schema a data-reading command works with: the one the model's artifact
 * ships (model.json) with --model, else the --schema file, else ROOKERY_SCHEMA
 * or the penguins schema.
 */
export async function commandSchema(values: { model?: string; schema?: string }, config: RookeryConfig): Promise<Schema> {
  if (values.model !== undefined && values.schema !== undefined) {
    throw new UserError('pass --model or --schema, not both: the model already ships its schema', 2);
  }
  const flag = values.model?.trim();
  if (flag === undefined) return loadSchema(values.schema ?? config.schemaPath);
  if (!flag) throw new UserError('--model needs a value: models:/NAME@ALIAS, models:/NAME/VERSION or a model directory', 2);
  // The same reading of --model as `rookery serve`'s: a registry reference or a model directory.
  return (await loadModelArtifact(resolveModelSource(flag, {}), config)).params.schema;
}
