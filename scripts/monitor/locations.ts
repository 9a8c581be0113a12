import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../model/user-error.ts';

const code = (err: unknown) => (err as NodeJS.ErrnoException)?.code;

/**
 * Creates the report folder like `mkdir -p`, one level at a time (Node's
 * recursive mkdir never returns under /proc), and turns every way it can fail
 * into one line naming --out and what to pass instead.
 */
export function ensureOutDir(outDir: string): string {
  const dir = resolve(outDir);
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    let stat;
    try {
      stat = statSync(at);
    } catch (err) {
      if (code(err) === 'ENOENT' && dirname(at) !== at) {
        missing.unshift(at);
        at = dirname(at);
        continue;
      }
      if (code(err) === 'ENOTDIR') {
        at = dirname(at);
        missing.length = 0;
        continue;
      }
      throw new UserError(`--out ${outDir}: cannot read ${at} (${code(err) ?? (err as Error).message}); pass --out a folder you can write, e.g. --out reports`);
    }
    if (!stat.isDirectory()) {
      if (at === dir) throw new UserError(`--out ${outDir} is a file, not a folder: --out names the folder report.html and summary.json go into (e.g. --out ${dirname(outDir)})`);
      throw new UserError(`--out ${outDir}: ${at} is a file, so no folder can be made under it; pass --out a folder path (e.g. --out reports)`);
    }
    break;
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (err) {
      if (code(err) === 'EEXIST') continue;
      throw new UserError(`--out ${outDir}: cannot create ${path} (${describeWriteError(err)}); pass --out a folder you can write, e.g. --out reports`);
    }
  }
  return dir;
}

/** A write error in a few words, for messages: "read-only file system", "permission denied". */
export function describeWriteError(err: unknown): string {
  switch (code(err)) {
    case 'EROFS':
      return 'read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENOENT':
      return 'the file system does not allow creating it';
    case 'EISDIR':
      return 'a folder is in the way';
    default:
      return code(err) ?? (err as Error).message;
  }
}

/** A file:/// capture location must name a folder: a regular file there is a one-line error naming the flag and what to pass. */
export function assertFolderLocation(uri: string, flag: string): void {
  const trimmed = uri.trim();
  if (!/^file:\/\/\/./.test(trimmed)) return;
  let path: string;
  try {
    path = fileURLToPath(trimmed);
  } catch {
    return;
  }
  let at = path;
  for (;;) {
    try {
      if (statSync(at).isDirectory()) return;
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') {
        if (dirname(at) === at) return;
        at = dirname(at);
        continue;
      }
      return;
    }
    const sqlite = `sqlite:///${path}`;
    throw new UserError(
      at === path
        ? `${flag} ${trimmed} is a file; file:/// names the folder of JSON Lines captures: pass that folder, or ${sqlite} if it is a SQLite capture database`
        : `${flag} ${trimmed}: ${at} is a file, not a folder; file:/// names the folder of JSON Lines captures`,
    );
  }
}
