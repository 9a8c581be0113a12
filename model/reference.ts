/**
 * What a user writes to name a model, read the same way by `rookery serve
 * --model`, `rookery deploy`, `cdk -c model=` and the Azure app:
 *
 * - `models:/NAME@ALIAS`, `models:/NAME/VERSION`, `models:/NAME` (latest):
 *   a registry entry, as MLflow writes model URIs;
 * - a path that exists: a model directory;
 * - otherwise `NAME@ALIAS` or `NAME/VERSION` without the scheme: a registry
 *   entry (so `penguins/3` is version 3 unless a folder of that name exists);
 * - anything else: a directory, which the resolver reports as missing.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UserError } from './user-error.ts';

/** A registry entry: by alias, by version, or the latest version. */
export type ModelRef = { name: string; alias: string } | { name: string; version: number } | { name: string };

export type ModelReference = { kind: 'registry'; ref: ModelRef } | { kind: 'dir'; dir: string };

const SCHEME = 'models:/';
const REF = /^([A-Za-z0-9][\w.-]*)(?:@([\w-]+)|\/(\d+))?$/;
const SHAPES = 'write models:/NAME@ALIAS, models:/NAME/VERSION or a directory path';

export function parseModelRef(text: string): ModelRef {
  const trimmed = text.trim();
  const m = REF.exec(trimmed.startsWith(SCHEME) ? trimmed.slice(SCHEME.length) : trimmed);
  if (!m) throw new UserError(`${JSON.stringify(text)} is not a model reference`, { fix: SHAPES });
  if (m[2]) return { name: m[1], alias: m[2] };
  if (m[3]) return { name: m[1], version: Number(m[3]) };
  return { name: m[1] };
}

export function formatModelRef(ref: ModelRef): string {
  if ('alias' in ref) return `${SCHEME}${ref.name}@${ref.alias}`;
  if ('version' in ref) return `${SCHEME}${ref.name}/${ref.version}`;
  return `${SCHEME}${ref.name}`;
}

/** How a resolved version is named in messages and outputs: `penguins@champion (version 4)`, or `penguins version 4`. */
export function describeVersion(ref: ModelRef, version: number): string {
  return 'alias' in ref ? `${ref.name}@${ref.alias} (version ${version})` : `${ref.name} version ${version}`;
}

/** Reads a model reference; relative directories are taken from `cwd`. */
export function parseModelReference(text: string, cwd: string): ModelReference {
  const trimmed = text.trim();
  if (!trimmed) throw new UserError('the model reference is empty', { fix: SHAPES });
  if (trimmed.startsWith(SCHEME)) return { kind: 'registry', ref: parseModelRef(trimmed) };
  const dir = isAbsolute(trimmed) ? trimmed : resolve(cwd, trimmed);
  if (existsSync(dir)) return { kind: 'dir', dir };
  const m = REF.exec(trimmed);
  if (m && (m[2] || m[3])) return { kind: 'registry', ref: parseModelRef(trimmed) };
  return { kind: 'dir', dir };
}
