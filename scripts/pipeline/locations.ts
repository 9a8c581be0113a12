// Files the pipeline's steps hand to each other: a local path (or file://
// URL) when run on a laptop, an s3:// URI inside the Batch jobs. S3 is
// reached through the S3 store (scripts/store/s3-store.ts, the AWS SDK),
// loaded only for s3:// URIs: `train` and `models register` run in the
// serving bundle, which carries no SDK (see scripts/aws/s3-store-loader.ts).
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asFolder, isS3Uri, parseS3Uri } from '../../cloud/s3-location.ts';
import { loadS3BlobStore } from '../aws/s3-store-loader.ts';
import { UserError } from '../../model/user-error.ts';
import type { S3BlobStore } from '../store/s3-store.ts';

export { isS3Uri };

function localPath(uri: string): string {
  return uri.startsWith('file://') ? fileURLToPath(uri) : resolve(uri);
}

/** The bucket's root as a store, and the key the URI names in it. */
async function s3(uri: string): Promise<{ store: S3BlobStore; key: string }> {
  const { bucket, key } = parseS3Uri(uri);
  return { store: new (await loadS3BlobStore())(`s3://${bucket}`), key };
}

/** One line for a failed S3 call: the store's UserErrors as they are, S3's own answer (`NoSuchKey: ... (HTTP 404)`) otherwise. */
function s3Failure(uri: string, action: string, err: unknown): UserError {
  const aws = (err as { code?: string; cause?: unknown }).code === 'ENOENT' ? ((err as Error).cause ?? err) : err;
  const e = aws as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const why = aws instanceof UserError ? aws.message : status !== undefined ? `${e.name}: ${e.message} (HTTP ${status})` : (e.message ?? String(aws));
  return new UserError(`cannot ${action} ${uri}: ${why}`, { cause: err });
}

export async function readText(uri: string): Promise<string> {
  if (!isS3Uri(uri)) {
    try {
      return await readFile(localPath(uri), 'utf8');
    } catch (err) {
      throw new UserError(`cannot read ${uri}: ${(err as Error).message}`);
    }
  }
  try {
    const { store, key } = await s3(uri);
    return (await store.read(key)).toString('utf8');
  } catch (err) {
    throw s3Failure(uri, 'read', err);
  }
}

/** Writes the whole text; a reader never sees part of it (rename locally, a single PUT on S3). */
export async function writeText(uri: string, text: string): Promise<void> {
  if (!isS3Uri(uri)) {
    const path = localPath(uri);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
    return;
  }
  try {
    const { store, key } = await s3(uri);
    await store.write(key, text);
  } catch (err) {
    throw s3Failure(uri, 'write', err);
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Copies a local folder to `s3://bucket/prefix/...`; returns the number of files. */
export async function uploadDir(dir: string, uri: string): Promise<number> {
  const { store, key } = await s3(uri);
  const prefix = asFolder(key.replace(/\/+$/, ''));
  const files = await filesUnder(dir);
  for (const file of files) {
    try {
      await store.write(prefix + file, await readFile(join(dir, file)));
    } catch (err) {
      throw s3Failure(`${uri.replace(/\/+$/, '')}/${file}`, 'write', err);
    }
  }
  return files.length;
}

/** Copies every object under `s3://bucket/prefix/` into a local folder; returns the number of files (none is an error unless `allowEmpty`). */
export async function downloadDir(uri: string, dir: string, options: { allowEmpty?: boolean } = {}): Promise<number> {
  let count = 0;
  try {
    const { store, key } = await s3(uri);
    const prefix = key.replace(/\/+$/, '') + '/';
    for await (const objectKey of store.list(prefix)) {
      const name = objectKey.slice(prefix.length);
      if (!name || name.split('/').includes('..')) continue;
      const path = join(dir, ...name.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await store.read(objectKey));
      count++;
    }
  } catch (err) {
    throw s3Failure(uri, 'download', err);
  }
  if (count === 0 && !options.allowEmpty) throw new UserError(`${uri} holds no files: nothing to download`);
  return count;
}
