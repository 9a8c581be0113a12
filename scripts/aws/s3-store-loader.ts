// The S3 store's class (scripts/store/s3-store.ts), loaded only for s3://
// locations because it brings the AWS SDK. `train` and `models register`
// run in the serving bundle, which carries neither the SDK nor the stores
// (test/container/dockerfile.test.ts): inside the image the class comes from
// the jobs bundle next to the entry (rookery-jobs.mjs exports a loader for it). Without
// either, the message says so.
import { existsSync } from 'node:fs';
import { UserError } from '../../model/user-error.ts';
import type { S3BlobStore, S3BlobStoreOptions } from '../store/s3-store.ts';

export type S3BlobStoreClass = new (uri: string, options?: S3BlobStoreOptions) => S3BlobStore;

export async function loadS3BlobStore(): Promise<S3BlobStoreClass> {
  const source = new URL('../store/s3-store.ts', import.meta.url);
  const jobs = new URL('./rookery-jobs.mjs', import.meta.url);
  const url = existsSync(source) ? source : existsSync(jobs) ? jobs : undefined;
  if (!url) {
    throw new UserError(`s3:// locations are not available here (neither scripts/store/s3-store.ts nor rookery-jobs.mjs next to ${new URL(import.meta.url).pathname}); copy the files locally and use file:///dir`);
  }
  // The source exports the class; the jobs bundle a function that loads it (see scripts/image-jobs.ts).
  const mod = (await import(url.href)) as { S3BlobStore?: S3BlobStoreClass; s3BlobStore?: () => Promise<S3BlobStoreClass> };
  const found = url === source ? mod.S3BlobStore : await mod.s3BlobStore?.();
  if (typeof found !== 'function') throw new UserError(`${url.pathname} does not export S3BlobStore`);
  return found;
}
