import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { DataProfile } from './data-profile.ts';
import { rowAt, type Dataset } from './dataset.ts';
import { Predictor, type ModelParams } from './predictor.ts';
import { parseSchema, type Schema } from './schema.ts';
import type { Evaluation, TrainOptions } from './train.ts';
import { UserError } from './user-error.ts';

/** The flavor this runtime writes into MLmodel; MLflow's registry accepts any flavor key. */
export const FLAVOR = 'rookery';
export const RUNTIME_VERSION = '0.1.0';
export const MODEL_FILE = 'model.json';
export const METRICS_FILE = 'metrics.json';
export const INPUT_EXAMPLE_FILE = 'input_example.json';
export const SERVING_INPUT_EXAMPLE_FILE = 'serving_input_example.json';

export interface Metrics {
  evaluation: Evaluation;
  options: TrainOptions;
  rows: number;
  /** Class balance and missing values of the training data (what the training report's "Data" section shows). */
  data?: DataProfile;
}

/** MLflow column specs for the signature: every feature column must be present, null allowed. */
export function signature(schema: Schema): { inputs: string; outputs: string; params: null } {
  const inputs = schema.features.map((f) => ({ type: f.type === 'numeric' ? 'double' : 'string', name: f.name, required: true }));
  const outputs = [
    { type: 'string', name: 'prediction', required: true },
    { type: 'double', name: 'confidence', required: true },
  ];
  return { inputs: JSON.stringify(inputs), outputs: JSON.stringify(outputs), params: null };
}

/** MLflow's utc_time_created format: `YYYY-MM-DD HH:MM:SS.ffffff`. */
function mlflowTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

export interface SaveOptions {
  /** Rows shown as `input_example.json` (the first few training rows). */
  example: Dataset;
  exampleRows?: number;
  runId?: string;
  now?: Date;
}

/**
 * Writes the model in MLflow's model layout: MLmodel, the fitted parameters,
 * an input example (split orientation, as MLflow saves a DataFrame), a serving
 * example (the request body /invocations accepts) and the metrics.
 */
export function saveArtifact(dir: string, params: ModelParams, metrics: Metrics, options: SaveOptions): void {
  mkdirSync(dir, { recursive: true });
  const columns = params.schema.features.map((f) => f.name);
  const n = Math.min(options.exampleRows ?? 5, options.example.size);
  const data = Array.from({ length: n }, (_, i) => {
    const row = rowAt(options.example, i);
    return columns.map((c) => row[c]);
  });
  const mlmodel = {
    artifact_path: 'model',
    flavors: {
      [FLAVOR]: { data: MODEL_FILE, format: params.format, runtime_version: RUNTIME_VERSION },
    },
    model_uuid: randomUUID().replaceAll('-', ''),
    ...(options.runId ? { run_id: options.runId } : {}),
    saved_input_example_info: {
      artifact_path: INPUT_EXAMPLE_FILE,
      serving_input_path: SERVING_INPUT_EXAMPLE_FILE,
      type: 'dataframe',
      pandas_orient: 'split',
    },
    signature: signature(params.schema),
    utc_time_created: mlflowTime(options.now ?? new Date()),
  };
  writeFileSync(join(dir, 'MLmodel'), toYaml(mlmodel, { lineWidth: 0 }));
  writeFileSync(join(dir, MODEL_FILE), `${JSON.stringify(params, null, 1)}\n`);
  writeFileSync(join(dir, INPUT_EXAMPLE_FILE), `${JSON.stringify({ columns, data })}\n`);
  writeFileSync(join(dir, SERVING_INPUT_EXAMPLE_FILE), `${JSON.stringify({ dataframe_split: { columns, data } }, null, 2)}\n`);
  writeFileSync(join(dir, METRICS_FILE), `${JSON.stringify(metrics, null, 2)}\n`);
}

export interface LoadedArtifact {
  dir: string;
  params: ModelParams;
  mlmodel: Record<string, unknown>;
  predictor: Predictor;
}

function readText(dir: string, file: string): string {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'not found: is this a model directory written by `rookery train`?' : `cannot read (${code})`, { where: join(dir, file) });
  }
}

/** Loads and checks an artifact directory; errors name the file and what is wrong with it. */
export function loadArtifact(dir: string): LoadedArtifact {
  let mlmodel: Record<string, unknown>;
  try {
    mlmodel = parseYaml(readText(dir, 'MLmodel')) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`not valid YAML (${(err as Error).message.split('\n')[0]})`, { where: join(dir, 'MLmodel') });
  }
  const flavors = (mlmodel?.flavors ?? {}) as Record<string, { data?: string; format?: string }>;
  const flavor = flavors[FLAVOR];
  if (!flavor) {
    throw new UserError(`has no "${FLAVOR}" flavor (found: ${Object.keys(flavors).join(', ') || 'none'}); this runtime serves only models it trained`, { where: join(dir, 'MLmodel') });
  }
  const file = flavor.data ?? MODEL_FILE;
  let raw: ModelParams;
  try {
    raw = JSON.parse(readText(dir, file)) as ModelParams;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`not valid JSON (${(err as Error).message})`, { where: join(dir, file) });
  }
  if (raw?.format !== 'rookery-logistic/v1') {
    throw new UserError(`unsupported model format ${JSON.stringify(raw?.format)}; expected "rookery-logistic/v1"`, { where: join(dir, file) });
  }
  const params: ModelParams = { ...raw, schema: parseSchema(raw.schema, `${join(dir, file)} (schema)`) };
  let predictor: Predictor;
  try {
    predictor = new Predictor(params);
  } catch (err) {
    throw new UserError((err as Error).message, { where: join(dir, file) });
  }
  return { dir, params, mlmodel, predictor };
}

/**
 * Finds the artifact at `root` or up to `depth` folders below it (Azure ML
 * mounts a registered model one or two folders below AZUREML_MODEL_DIR).
 */
export function findArtifactDir(root: string, depth = 2): string | undefined {
  if (existsSync(join(root, 'MLmodel'))) return root;
  if (depth === 0) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch {
    return undefined;
  }
  for (const name of entries) {
    const child = join(root, name);
    if (!statSync(child, { throwIfNoEntry: false })?.isDirectory()) continue;
    const found = findArtifactDir(child, depth - 1);
    if (found) return found;
  }
  return undefined;
}
