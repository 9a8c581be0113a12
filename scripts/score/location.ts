import { basename, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { blobUri, isBlobUri, parseBlobUri } from '../../cloud/blob-location.ts';
import { UserError } from '../../model/user-error.ts';
import type { BlobStore } from '../store/blob-store.ts';
import { openBlobStore } from '../store/open.ts';

/** One file of `rookery score`: an object in the store of its folder, as the monitor's stores hold them. */
export interface ObjectLocation {
  /** What the user wrote, for messages. */
  uri: string;
  store: BlobStore;
  key: string;
}

/** `s3://bucket/path/file.csv`, `file:///abs/file.csv`, `https://ACCOUNT.blob.core.windows.net/CONTAINER/path/file.csv` or a path relative to the working directory. */
export async function openObject(uri: string, cwd = process.cwd()): Promise<ObjectLocation> {
  const trimmed = uri.trim();
  const folderOf = (u: string) => u.slice(0, u.lastIndexOf('/') + 1);
  if (trimmed.startsWith('s3://') || trimmed.startsWith('file://')) {
    const key = trimmed.slice(trimmed.lastIndexOf('/') + 1);
    if (!key || /^(s3|file):\/\/[^/]*$/.test(trimmed)) throw new UserError(`${JSON.stringify(uri)} names no file; write s3://bucket/path/file.csv or file:///abs/path/file.csv`, { exitCode: 2 });
    return { uri: trimmed, store: await openBlobStore(folderOf(trimmed)), key };
  }
  if (isBlobUri(trimmed)) {
    const location = parseBlobUri(trimmed);
    const key = location.prefix.slice(location.prefix.lastIndexOf('/') + 1);
    if (!key) throw new UserError(`${JSON.stringify(uri)} names no file; write https://ACCOUNT.blob.core.windows.net/CONTAINER/path/file.csv`, { exitCode: 2 });
    return { uri: trimmed, store: await openBlobStore(blobUri(location, location.prefix.slice(0, -key.length))), key };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new UserError(`${JSON.stringify(uri)} is not a supported location; use a path, file:///abs/path, s3://bucket/key or https://ACCOUNT.blob.core.windows.net/CONTAINER/key`, { exitCode: 2 });
  }
  const path = resolve(cwd, trimmed);
  return { uri: trimmed, store: await openBlobStore(pathToFileURL(dirname(path)).href), key: basename(path) };
}

/** `out/scores.csv` → `out/scores.rejects.jsonl`: where rejected rows go unless --rejects says. */
export function defaultRejectsUri(output: string): string {
  const slash = output.lastIndexOf('/');
  const dot = output.lastIndexOf('.');
  return `${dot > slash + 1 ? output.slice(0, dot) : output}.rejects.jsonl`;
}

/** The size of the input, or the one-line error a missing input deserves. */
export async function inputSize(input: ObjectLocation): Promise<number> {
  try {
    return await input.store.size(input.key);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`--input ${input.uri}: no such file`, { fix: 'check the path or s3:// key' });
    throw err;
  }
}
