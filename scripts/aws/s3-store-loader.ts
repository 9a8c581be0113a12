// The S3 store's class (scripts/store/s3-store.ts), loaded only for s3://
// locations because it brings the AWS SDK. `train` and `models register`
// run in the serving bundle, which carries neither the SDK nor the stores
// (test/container/dockerfile.test.ts): inside the image the class comes from
// the jobs bundle next to the entry (rookery-jobs.mjs exports it). Without
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
  const mod = (await import(url.href)) as { S3BlobStore?: S3BlobStoreClass };
  if (typeof mod.S3BlobStore !== 'function') throw new UserError(`${url.pathname} does not export S3BlobStore`);
  return mod.S3BlobStore;
}
