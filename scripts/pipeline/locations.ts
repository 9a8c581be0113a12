// Files the pipeline's steps hand to each other: a local path (or file://
// URL) when run on a laptop, an s3:// URI inside the Batch jobs. S3 is
// reached with signed HTTPS requests (s3-objects.ts): the image's bundle
// carries no AWS SDK, and `serve` starts as fast as before.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../command.ts';
import { awsContext, type AwsContext } from './aws-client.ts';
import { getObject, listKeys, putObject } from './s3-objects.ts';

export interface S3Location {
  bucket: string;
  key: string;
}

export function isS3Uri(uri: string): boolean {
  return uri.startsWith('s3://');
}

export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!m) throw new UserError(`${JSON.stringify(uri)} is not an S3 URI; write s3://bucket/key`);
  return { bucket: m[1], key: m[2] ?? '' };
}

function localPath(uri: string): string {
  return uri.startsWith('file://') ? fileURLToPath(uri) : resolve(uri);
}

let shared: AwsContext | undefined;
const aws = () => (shared ??= awsContext());

/** Points S3 access at another context (tests use a local double); undefined goes back to the environment's. */
export function useAwsContext(ctx: AwsContext | undefined): void {
  shared = ctx;
}

function s3Failure(uri: string, action: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  return new UserError(`cannot ${action} ${uri}: ${(err as Error).message}`);
}

export async function readText(uri: string): Promise<string> {
  if (!isS3Uri(uri)) {
    try {
      return await readFile(localPath(uri), 'utf8');
    } catch (err) {
      throw new UserError(`cannot read ${uri}: ${(err as Error).message}`);
    }
  }
  const { bucket, key } = parseS3Uri(uri);
  try {
    return (await getObject(aws(), bucket, key)).toString('utf8');
  } catch (err) {
    throw s3Failure(uri, 'read', err);
  }
}

/** Writes the whole text; a reader never sees part of it (rename locally, a single PUT on S3). */
export async function writeText(uri: string, text: string, contentType = 'application/json'): Promise<void> {
  if (!isS3Uri(uri)) {
    const path = localPath(uri);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
    return;
  }
  const { bucket, key } = parseS3Uri(uri);
  try {
    await putObject(aws(), bucket, key, text, contentType);
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
  const { bucket, key } = parseS3Uri(uri);
  const prefix = key.replace(/\/+$/, '');
  const files = await filesUnder(dir);
  for (const file of files) {
    try {
      await putObject(aws(), bucket, prefix ? `${prefix}/${file}` : file, await readFile(join(dir, file)), file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    } catch (err) {
      throw s3Failure(`${uri.replace(/\/+$/, '')}/${file}`, 'write', err);
    }
  }
  return files.length;
}

/** Copies every object under `s3://bucket/prefix/` into a local folder; returns the number of files (none is an error unless `allowEmpty`). */
export async function downloadDir(uri: string, dir: string, options: { allowEmpty?: boolean } = {}): Promise<number> {
  const { bucket, key } = parseS3Uri(uri);
  const prefix = key.replace(/\/+$/, '') + '/';
  let count = 0;
  try {
    for await (const objectKey of listKeys(aws(), bucket, prefix)) {
      const name = objectKey.slice(prefix.length);
      if (!name || name.endsWith('/') || name.split('/').includes('..')) continue;
      const path = join(dir, ...name.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await getObject(aws(), bucket, objectKey));
      count++;
    }
  } catch (err) {
    throw s3Failure(uri, 'download', err);
  }
  if (count === 0 && !options.allowEmpty) throw new UserError(`${uri} holds no files: nothing to download`);
  return count;
}
