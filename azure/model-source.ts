/**
 * Which model the Azure app deploys, as plain values for the constructs: the
 * reference handed to the shared resolver (registry/resolve.ts), and what
 * the workspace registration needs from its answer (a version number, the
 * files with their MD5s, the content hash every cloud tags the model with).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_ALIAS } from '../model/defaults.ts';
import { formatModelRef } from '../model/reference.ts';
import { UserError } from '../model/user-error.ts';
import type { ResolvedModel } from '../registry/resolve.ts';

/** What the configuration says about the model (azure/config.ts reads it). */
export interface ModelRequest {
  /** The workspace model's name, and the registry entry's when no folder is named. */
  readonly name: string;
  /** ROOKERY_AZURE_MODEL_VERSION: the workspace model version, whatever the source says. */
  readonly version?: string;
  /** ROOKERY_AZURE_MODEL_DIR: an absolute folder holding MLmodel, with the setting that named it. */
  readonly dir?: { readonly path: string; readonly origin: string; readonly value: string };
}

export interface ModelSource {
  /** Absolute path of the MLflow-layout model directory (holds MLmodel). */
  readonly dir: string;
  /** Registered model name in the workspace. */
  readonly name: string;
  /** Registered model version: the registry's version number unless configured. */
  readonly version: string;
  /** Files to upload, relative to `dir`, POSIX separators, sorted (model/content-hash.ts). */
  readonly files: readonly string[];
  /** Each file's MD5 (hex), which Azure Storage checks the upload against. */
  readonly contentMd5: Readonly<Record<string, string>>;
  /** The content hash (model/content-hash.ts): the blob prefix and the model version's tag. */
  readonly sha256: string;
  /**
   * Where the model came from, without any path (it becomes the workspace
   * model's description, and synthesized output must not depend on the machine).
   */
  readonly origin: string;
}

/** The text for `resolveModel`: the configured folder, or the name's champion in the registry. */
export function modelReference(request: ModelRequest): string {
  return request.dir?.path ?? formatModelRef({ name: request.name, alias: DEFAULT_ALIAS });
}

/** The registry's "nothing to deploy" errors, with the Azure app's other way out. */
export function explainResolveError(request: ModelRequest, err: unknown): unknown {
  if (request.dir || !(err instanceof UserError)) return err;
  return new UserError(err.what, { ...(err.where ? { where: err.where } : {}), fix: `${err.fix ? `${err.fix}, ` : ''}or set ROOKERY_AZURE_MODEL_DIR`, exitCode: err.exitCode, cause: err });
}

/** The plain values the constructs take, from the resolver's answer. */
export function toModelSource(request: ModelRequest, resolved: ResolvedModel): ModelSource {
  const { dir } = request;
  const version = request.version ?? (resolved.version === undefined ? undefined : String(resolved.version));
  // Only a folder outside a registry has no version: a registry entry always has one.
  if (!version) {
    throw new UserError(
      `${dir ? `${dir.origin}=${dir.value}` : resolved.origin} is not a registry version folder (…/versions/<n>), so the workspace model version is unknown: set ROOKERY_AZURE_MODEL_VERSION`,
    );
  }
  const files = resolved.files.map((f) => f.path);
  const contentMd5 = Object.fromEntries(resolved.files.map((f) => [f.path, createHash('md5').update(readFileSync(f.file)).digest('hex')]));
  return {
    dir: resolved.dir,
    name: request.name,
    version,
    files,
    contentMd5,
    sha256: resolved.sha256,
    origin: dir ? `${request.name} version ${version} from the folder ${dir.origin} names` : resolved.origin,
  };
}
