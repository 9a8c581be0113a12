// Files the pipeline's steps hand to each other: a local path (or file://
// URL) when run on a laptop, an s3:// URI inside the Batch jobs. The S3
// client is loaded only when an s3:// URI is used, so commands that take
// these flags start as fast as before.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { UserError } from '../command.ts';

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

let client: S3Client | undefined;

/** One S3 client per process; AWS_ENDPOINT_URL_S3 (e.g. a local S3) switches to path-style addressing. */
async function s3(): Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
  const sdk = await import('@aws-sdk/client-s3');
  client ??= new sdk.S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL) });
  return { client, sdk };
}

function s3Failure(uri: string, action: string, err: unknown): UserError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return new UserError(`cannot ${action} ${uri}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}${status}`);
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
  const { client, sdk } = await s3();
  try {
    const answer = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    return await answer.Body!.transformToString('utf8');
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
  const { client, sdk } = await s3();
  try {
    await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: contentType }));
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
  const { client, sdk } = await s3();
  const files = await filesUnder(dir);
  for (const file of files) {
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: prefix ? `${prefix}/${file}` : file, Body: await readFile(join(dir, file)) }));
    } catch (err) {
      throw s3Failure(`${uri.replace(/\/+$/, '')}/${file}`, 'write', err);
    }
  }
  return files.length;
}

/** Copies every object under `s3://bucket/prefix/` into a local folder; returns the number of files. */
export async function downloadDir(uri: string, dir: string): Promise<number> {
  const { bucket, key } = parseS3Uri(uri);
  const prefix = key.replace(/\/+$/, '') + '/';
  const { client, sdk } = await s3();
  let count = 0;
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const name = object.Key!.slice(prefix.length);
        if (!name || name.endsWith('/') || name.split('/').includes('..')) continue;
        const answer = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
        const path = join(dir, ...name.split('/'));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, await answer.Body!.transformToByteArray());
        count++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    throw s3Failure(uri, 'download', err);
  }
  if (count === 0) throw new UserError(`${uri} holds no files: nothing to download`);
  return count;
}
