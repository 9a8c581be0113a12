/**
 * A model's identity: one SHA-256 over its files' relative paths and bytes,
 * the same for a registry version whichever cloud it is deployed to. AWS
 * keys the model.tar.gz and tags the SageMaker model with it; Azure keys the
 * uploaded blobs and tags the workspace model version with it. Taken over
 * the files rather than over an archive, so it does not depend on how (or
 * whether) the files were compressed.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The tag, on both clouds, that carries `modelContentHash`. */
export const MODEL_HASH_TAG = 'rookery:model-sha256';

/** Files that belong to the registry's bookkeeping, not to the model. */
const NOT_MODEL_FILES = new Set(['version.json']);

export interface ModelFile {
  /** Relative POSIX path. */
  path: string;
  /** Absolute path on disk. */
  file: string;
}

/**
 * The model's files, sorted by relative path: everything under `dir` except
 * dotfiles and the registry's `version.json`.
 */
export function modelFiles(dir: string): ModelFile[] {
  const out: ModelFile[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? join(dir, rel) : dir)) {
      if (name.startsWith('.') || (!rel && NOT_MODEL_FILES.has(name))) continue;
      const path = rel ? `${rel}/${name}` : name;
      const file = join(dir, ...path.split('/'));
      const stat = statSync(file);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) out.push({ path, file });
    }
  };
  walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** SHA-256 (hex) over each file's relative path and bytes, in `modelFiles` order. */
export function modelContentHash(files: readonly ModelFile[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.path}\0`).update(readFileSync(f.file)).update('\0');
  return hash.digest('hex');
}
