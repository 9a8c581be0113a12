/**
 * The one resolver from what a user wrote (`models:/penguins@champion`,
 * `penguins/3`, a folder) to a model directory and its identity. The CLI,
 * the serving program, the CDK app and the cdktf app all call it, so a
 * reference means the same thing to each and the same version gets the same
 * content hash on both clouds.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { findArtifactDir } from '../model/artifact.ts';
import { modelContentHash, modelFiles, type ModelFile } from '../model/content-hash.ts';
import { DEFAULT_MODEL_NAME, DEFAULT_MODEL_REF } from '../model/defaults.ts';
import { describeVersion, parseModelReference, type ModelRef } from '../model/reference.ts';
import type { ModelRegistry } from '../model/registry.ts';
import { UserError } from '../model/user-error.ts';
import { openRegistry } from './open.ts';
import type { RegistrySettings } from './settings.ts';

export interface ResolvedModel {
  /** The model directory (holds MLmodel). */
  readonly dir: string;
  /** The registered name; for a plain folder, `<name>` of `…/<name>/versions/<n>`, else the default model name. */
  readonly name: string;
  /** The registry version, or the `<n>` of a `…/versions/<n>` folder. */
  readonly version?: number;
  /**
   * How it was chosen, without any path (`penguins@champion (version 4) from
   * the local registry`): it goes into templates, which must not depend on the machine.
   */
  readonly origin: string;
  readonly files: readonly ModelFile[];
  /** The content hash (model/content-hash.ts). */
  readonly sha256: string;
}

export interface ResolveOptions {
  readonly settings: RegistrySettings;
  /** Relative folders are taken from here. */
  readonly cwd: string;
  /**
   * How the user named the model, for messages: `X (from --model) holds no model`.
   * @default none: the caller names it when it reports the error
   */
  readonly source?: string;
  /**
   * The registry to use.
   * @default openRegistry(settings): MLflow when configured, else the local folder
   */
  readonly registry?: ModelRegistry;
}

/** Resolves `text` (blank means models:/penguins@champion). A folder is read in place: no network, no writes. */
export async function resolveModel(text: string | undefined, options: ResolveOptions): Promise<ResolvedModel> {
  const written = text?.trim() || DEFAULT_MODEL_REF;
  const reference = parseModelReference(written, options.cwd);
  if (reference.kind === 'dir') return resolveModelDirectory(reference.dir, options.source);
  const registry = options.registry ?? openRegistry(options.settings);
  return resolveInRegistry(reference.ref, registry);
}

/** A version in a registry; MLflow downloads it into the settings' cache folder once. */
async function resolveInRegistry(ref: ModelRef, registry: ModelRegistry): Promise<ResolvedModel> {
  const { info, dir } = await registry.resolve(ref);
  return identify(dir, info.name, info.version, `${describeVersion(ref, info.version)} from ${registry.label}`);
}

/**
 * A model folder, read in place: the folder itself or up to two folders
 * below it holds MLmodel (Azure ML mounts a model that deep).
 */
export function resolveModelDirectory(dir: string, source?: string): ResolvedModel {
  const found = findArtifactDir(dir, 2);
  if (!found) {
    const why = existsSync(dir) ? 'expected an MLmodel file there or up to two folders below' : 'there is no such folder, and it is not a registry reference like models:/penguins@champion';
    throw new UserError(`${dir}${source ? ` (from ${source})` : ''} holds no model: ${why}`);
  }
  const inRegistry = /[\\/]([^\\/]+)[\\/]versions[\\/](\d+)[\\/]?$/.exec(found);
  const name = inRegistry?.[1] ?? DEFAULT_MODEL_NAME;
  const version = inRegistry ? Number(inRegistry[2]) : undefined;
  return identify(found, name, version, `the model directory ${basename(found)}`);
}

/**
 * The files and their hash are read on first use: serving and the CDK app
 * never ask (the SageMaker archive hashes what it packs), so `rookery serve`
 * does not read the model twice at start-up.
 */
function identify(dir: string, name: string, version: number | undefined, origin: string): ResolvedModel {
  let files: readonly ModelFile[] | undefined;
  let sha256: string | undefined;
  return {
    dir,
    name,
    ...(version !== undefined ? { version } : {}),
    origin,
    get files() {
      return (files ??= modelFiles(dir));
    },
    get sha256() {
      return (sha256 ??= modelContentHash(this.files));
    },
  };
}
