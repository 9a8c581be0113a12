import { existsSync } from 'node:fs';
import { UserError } from '../command.ts';
import { FileBlobStore, type BlobStore } from './blob-store.ts';

/**
 * A BlobStore for `file:///dir` or `s3://bucket/prefix`. The S3 store (and so
 * the AWS SDK) is loaded only for s3:// locations; if this checkout has no S3
 * store yet, the message says so rather than pretending.
 */
export async function openBlobStore(uri: string): Promise<BlobStore> {
  const trimmed = uri.trim();
  if (trimmed.startsWith('file://')) {
    if (!/^file:\/\/\/./.test(trimmed)) throw new UserError(`${JSON.stringify(uri)}: write a folder as file:///absolute/path`, 2);
    return new FileBlobStore(trimmed);
  }
  if (trimmed.startsWith('s3://')) {
    const url = new URL('./s3-store.ts', import.meta.url);
    if (!existsSync(url)) throw new UserError(`s3:// locations are not available in this checkout (scripts/store/s3-store.ts is missing); copy the files locally and use file:///dir`);
    const mod = (await import(url.href)) as { S3BlobStore?: new (uri: string) => BlobStore };
    if (typeof mod.S3BlobStore !== 'function') throw new UserError('scripts/store/s3-store.ts does not export S3BlobStore');
    return new mod.S3BlobStore(trimmed);
  }
  throw new UserError(`${JSON.stringify(uri)} is not a supported location; use sqlite:///path.db, file:///dir or s3://bucket/prefix`, 2);
}
