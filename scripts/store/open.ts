import { loadS3BlobStore } from '../aws/s3-store-loader.ts';
import { UserError } from '../../model/user-error.ts';
import { FileBlobStore, type BlobStore } from './blob-store.ts';

/** A BlobStore for `file:///dir` or `s3://bucket/prefix`; the S3 store (and the AWS SDK) is loaded only for s3://. */
export async function openBlobStore(uri: string): Promise<BlobStore> {
  const trimmed = uri.trim();
  if (trimmed.startsWith('file://')) {
    if (!/^file:\/\/\/./.test(trimmed)) throw new UserError(`${JSON.stringify(uri)}: write a folder as file:///absolute/path`, { exitCode: 2 });
    return new FileBlobStore(trimmed);
  }
  if (trimmed.startsWith('s3://')) return new (await loadS3BlobStore())(trimmed);
  throw new UserError(`${JSON.stringify(uri)} is not a supported location; use sqlite:///path.db, file:///dir or s3://bucket/prefix`, { exitCode: 2 });
}
