import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { buildModelArchive } from '../../model/archive.ts';
import { ContextError } from './context.ts';

/**
 * Finding the model EndpointStack serves and packing it as SageMaker's
 * model.tar.gz at synth time.
 *
 * The local registry is read straight from its files (`<root>/<name>/
 * aliases.json`, `<root>/<name>/versions/<n>/`), so synthesizing needs no
 * registry client; a model in MLflow is resolved by the app before the stack
 * is built (see resolveRegistryModel in ./registry-model.ts) and handed in.
 */

export const DEFAULT_MODEL_REF = 'models:/penguins@champion';

/** A model directory and where it came from, for names, tags and messages. */
export interface ModelSource {
  dir: string;
  name: string;
  /** Registry version, when the model came from a registry. */
  version?: number;
  /**
   * How it was chosen, e.g. `penguins@champion (version 4) from the local
   * registry`; it goes into the template (ServedModel), so it never holds a
   * path: the same model synthesizes the same everywhere.
   */
  origin: string;
}

/** The archive written for a model. */
export interface PackagedModel extends ModelSource {
  /** The model.tar.gz on disk, outside cdk.out so synth runs can share it. */
  archivePath: string;
  /** SHA-256 over the model's files (the archive's identity and its asset hash). */
  sha256: string;
}

/** `-c model` names nothing servable; a ContextError, so the app prints it as one line. */
export class ModelSourceError extends ContextError {
  constructor(value: string, problem: string) {
    super('model', value, problem);
    this.name = 'ModelSourceError';
  }
}

const REF = /^(?:models:\/)?([A-Za-z0-9][\w.-]*)(?:@([\w-]+)|\/(\d+))?$/;
const HINT = 'run `npm start` or `rookery train` to train and register one, or pass -c model=DIR';

/** True for values that name a registry entry rather than a folder. */
export function isRegistryRef(value: string, cwd = process.cwd()): boolean {
  if (value.startsWith('models:/')) return true;
  return !existsSync(resolve(cwd, value)) && REF.test(value) && (value.includes('@') || value.includes('/'));
}

/**
 * The model `-c model=...` names, from a folder or the local registry
 * (ROOKERY_REGISTRY, default .rookery/registry); unset means penguins@champion.
 */
export function resolveModelSource(value: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ModelSource {
  const text = value?.trim() || DEFAULT_MODEL_REF;
  const shown = value?.trim() ? text : `${text} (the default)`;
  const fail = (problem: string) => new ModelSourceError(shown, problem);
  if (!isRegistryRef(text, cwd)) {
    const dir = isAbsolute(text) ? text : resolve(cwd, text);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw fail('no such directory, and not a registry reference like models:/penguins@champion');
    if (!existsSync(join(dir, 'MLmodel'))) throw fail(`expected a model directory with an MLmodel file at ${dir}`);
    const version = /[\\/]versions[\\/](\d+)[\\/]?$/.exec(dir)?.[1];
    return { dir, name: /[\\/]([^\\/]+)[\\/]versions[\\/]\d+[\\/]?$/.exec(dir)?.[1] ?? 'model', ...(version ? { version: Number(version) } : {}), origin: `the model directory ${basename(dir)} (-c model)` };
  }
  if (env.MLFLOW_TRACKING_URI?.trim()) {
    throw fail('MLFLOW_TRACKING_URI is set, so this reference is resolved in MLflow by the CDK app (stacks/app.ts) and handed to EndpointStack as `model`');
  }
  const m = REF.exec(text);
  if (!m) throw fail('write models:/NAME@ALIAS, models:/NAME/VERSION or a directory path');
  const [, name, alias, pinned] = m;
  const registry = resolve(cwd, env.ROOKERY_REGISTRY?.trim() || '.rookery/registry');
  let version: number;
  if (pinned) {
    version = Number(pinned);
  } else if (alias) {
    const file = join(registry, name, 'aliases.json');
    if (!existsSync(file)) throw fail(`no ${name}@${alias} in the local registry ${registry}: ${HINT}`);
    let aliases: Record<string, unknown>;
    try {
      aliases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw fail(`${file} is not valid JSON (${(err as Error).message}); fix it, or ${HINT}`);
    }
    const v = aliases[alias];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw fail(`no ${name}@${alias} in the local registry ${registry}: ${HINT}`);
    version = v;
  } else {
    const dir = join(registry, name, 'versions');
    const versions = existsSync(dir) ? readdirSync(dir).filter((d) => /^\d+$/.test(d)).map(Number) : [];
    if (!versions.length) throw fail(`no versions of ${name} in the local registry ${registry}: ${HINT}`);
    version = Math.max(...versions);
  }
  const dir = join(registry, name, 'versions', String(version));
  if (!existsSync(join(dir, 'MLmodel'))) throw fail(`${name} version ${version} is not in the local registry ${registry} (no ${join(dir, 'MLmodel')}): ${HINT}`);
  return { dir, name, version, origin: `${alias ? `${name}@${alias} (version ${version})` : `${name} version ${version}`} from the local registry` };
}

/**
 * Writes `<buildDir>/<sha12>/model.tar.gz` (once per model content) and
 * returns where it is. The folder is keyed by content, so synthesizing the
 * same model again reuses the archive and CDK's asset stays the same.
 */
export function packageModel(source: ModelSource, buildDir: string): PackagedModel {
  const archive = buildModelArchive(source.dir);
  const dir = join(buildDir, archive.sha256.slice(0, 12));
  const archivePath = join(dir, 'model.tar.gz');
  if (!existsSync(archivePath)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${archivePath}.${process.pid}.tmp`;
    writeFileSync(tmp, archive.body);
    renameSync(tmp, archivePath);
  }
  return { ...source, archivePath, sha256: archive.sha256 };
}
