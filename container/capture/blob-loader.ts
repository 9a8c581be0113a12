// The blob capture sink as the serving program opens it. blob.ts brings
// @azure/storage-blob and @azure/identity, which the serving bundle must not
// carry (a server capturing to SQLite or files never loads them): records are
// encoded at once with the JSON Lines encoding blob.ts uses too, and blob.ts
// is imported on the first write: from source beside this file, or inside the
// image from rookery-blob.mjs, its own bundle next to the entry
// (scripts/build-image.ts).
import { existsSync } from 'node:fs';
import { blobUri, parseBlobUri } from '../../cloud/blob-location.ts';
import { UserError } from '../../model/user-error.ts';
import type { BlobContainerOptions } from '../blob-client.ts';
import type { BlobCaptureWriter } from './blob.ts';
import { encodeJsonlRecord } from './jsonl.ts';
import type { BatchWriter } from './sink.ts';

/** The blob writer's bundle, next to the serving bundle in the image. */
export const BLOB_CHUNK = 'rookery-blob.mjs';

function blobModuleUrl(): URL {
  const source = new URL('./blob.ts', import.meta.url);
  const chunk = new URL(`./${BLOB_CHUNK}`, import.meta.url);
  if (existsSync(source)) return source;
  if (existsSync(chunk)) return chunk;
  throw new UserError(`blob capture is not available here: neither container/capture/blob.ts nor ${BLOB_CHUNK} is next to ${new URL(import.meta.url).pathname}`, {
    fix: `build the image with scripts/build-image.ts, which writes ${BLOB_CHUNK} beside rookery.mjs`,
  });
}

/** A BatchWriter for a blob URI whose uploads (and the Azure SDK) load on the first write; the chunk's absence fails here, at open. */
export function blobCaptureWriter(uri: string, options: BlobContainerOptions = {}): BatchWriter {
  const url = blobModuleUrl();
  let loaded: Promise<BlobCaptureWriter> | undefined;
  const load = () =>
    (loaded ??= (import(url.href) as Promise<typeof import('./blob.ts')>)
      .then((m) => new m.BlobCaptureWriter(uri, options))
      .catch((err: unknown) => {
        loaded = undefined;
        throw err;
      }));
  return {
    description: blobUri(parseBlobUri(uri)),
    encode: encodeJsonlRecord,
    writeBatch: async (bytes, count) => (await load()).writeBatch(bytes, count),
    close: async () => {
      if (loaded) (await loaded.catch(() => undefined))?.close();
    },
  };
}
