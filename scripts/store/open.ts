import { loadS3BlobStore } from '../aws/s3-store-loader.ts';
import { isBlobUri } from '../../cloud/blob-location.ts';
import { UserError } from '../../model/user-error.ts';
import { FileBlobStore, type BlobStore } from './blob-store.ts';

/** The locations openBlobStore takes, for messages and help texts. */
export const STORE_LOCATIONS = 'file:///dir, s3://bucket/prefix or https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX';

/**
 * A BlobStore for `file:///dir`, `s3://bucket/prefix` or an Azure blob URI; the
 * S3 and Azure stores (and their SDKs) are loaded only for their own locations.
 */
export async function openBlobStore(uri: string): Promise<BlobStore> {
  const trimmed = uri.trim();
  if (trimmed.startsWith('file://')) {
    if (!/^file:\/\/\/./.test(trimmed)) throw new UserError(`${JSON.stringify(uri)}: write a folder as file:///absolute/path`, { exitCode: 2 });
    return new FileBlobStore(trimmed);
  }
  if (trimmed.startsWith('s3://')) return new (await loadS3BlobStore())(trimmed);
  if (isBlobUri(trimmed)) return new (await import('./azure-blob-store.ts')).AzureBlobStore(trimmed);
  throw new UserError(`${JSON.stringify(uri)} is not a supported location; use sqlite:///path.db, ${STORE_LOCATIONS}`, { exitCode: 2 });
}
