/**
 * Capture into Azure Blob Storage (DATA_COLLECTION_URI=https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX):
 * the JSON Lines records of the file sink (jsonl.ts's encoding, so both sinks
 * write the same bytes), each batch one new block blob per hour it spans,
 * named as SageMaker names its capture objects:
 * `PREFIX/yyyy/mm/dd/hh/MM-SS-mmm-<uuid>.jsonl` (the minute, second and
 * millisecond of the hour's first record). A blob is written whole and never
 * appended to. Its uuid is a hash of its bytes, not a random one: when a
 * write's answer is lost (the connection reset after the store committed it)
 * the batcher's retry rewrites the same blob with the same bytes instead of
 * adding a second copy of its records; no two batches share bytes, since
 * every record has its own random eventId.
 *
 * This module brings @azure/storage-blob and @azure/identity (through
 * ../blob-client.ts), so the serving bundle leaves it out: blob-loader.ts
 * loads it on the first write.
 */
import { createHash } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';
import { blobUri, parseBlobUri, type BlobLocation } from '../../cloud/blob-location.ts';
import { openBlobContainer, type BlobContainerOptions, type OpenedContainer } from '../blob-client.ts';
import { encodeJsonlRecord, joinLines, jsonlBatchByHour } from './jsonl.ts';
import type { BatchWriter } from './sink.ts';

export const JSONL_CONTENT_TYPE = 'application/jsonl';

export class BlobCaptureWriter implements BatchWriter {
  readonly description: string;
  readonly encode = encodeJsonlRecord;
  private readonly location: BlobLocation;
  private container: Promise<OpenedContainer> | undefined;

  constructor(
    private readonly uri: string,
    private readonly options: BlobContainerOptions = {},
  ) {
    this.location = parseBlobUri(uri);
    this.description = blobUri(this.location);
  }

  /** The name of an hour's blob: PREFIX/yyyy/mm/dd/hh/MM-SS-mmm-uuid.jsonl. */
  private blobName(hour: string, stamp: string, body: Uint8Array): string {
    const prefix = this.location.prefix.replace(/\/+$/, '');
    return `${prefix ? `${prefix}/` : ''}${hour}/${stamp}-${contentUuid(body)}.jsonl`;
  }

  async writeBatch(bytes: Uint8Array, count: number): Promise<void> {
    const byHour = jsonlBatchByHour(bytes, count);
    const { client } = await this.open();
    // All or nothing, as the batcher counts a batch written or not: a failure deletes the blobs this batch already made
    // (a retry would only rewrite them, the names being their bytes' hash, but a batch given up must leave nothing).
    const made: BlockBlobClient[] = [];
    try {
      for (const [hour, { lines, firstStamp }] of byHour) {
        const body = joinLines(lines);
        const blob = client.getBlockBlobClient(this.blobName(hour, firstStamp, body));
        await blob.upload(body, body.byteLength, { blobHTTPHeaders: { blobContentType: JSONL_CONTENT_TYPE } });
        made.push(blob);
      }
    } catch (err) {
      const undone = await Promise.allSettled(made.map((b) => b.deleteIfExists()));
      const stuck = made.filter((_, i) => undone[i].status === 'rejected').map((b) => b.name);
      const why = explainBlobError(err, this.location);
      throw new Error(stuck.length > 0 ? `${why}; and ${stuck.join(', ')} could not be deleted, so they hold records of a batch not counted as written` : why);
    }
  }

  /** The container client, made once; an open that fails (a credential that cannot load) is tried again on the next write. */
  private open(): Promise<OpenedContainer> {
    this.container ??= openBlobContainer(this.uri, this.options).catch((err: unknown) => {
      this.container = undefined;
      throw new Error(explainBlobError(err, this.location));
    });
    return this.container;
  }

  close(): void {}
}

/** The first 16 bytes of the SHA-256 of `bytes` as a UUID (RFC 9562 version 8, the one for custom layouts). */
export function contentUuid(bytes: Uint8Array): string {
  const h = createHash('sha256').update(bytes).digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What went wrong and what fixes it, for the batcher's log and /health's lastError. */
export function explainBlobError(err: unknown, location: BlobLocation): string {
  const e = err as { statusCode?: number; code?: string; message?: string };
  const detail = `${e.statusCode ? `${e.statusCode} ` : ''}${e.code ?? ''}`.trim();
  if (e.statusCode === 404 && e.code === 'ContainerNotFound') {
    return `container "${location.container}" does not exist in ${location.serviceUrl} (${detail}): \`cdktf deploy azure\` creates it, or create it yourself`;
  }
  if (e.statusCode === 403) {
    return `not allowed to write to container "${location.container}" of ${location.serviceUrl} (${detail}): give the deployment's identity the role Storage Blob Data Contributor on container "${location.container}"`;
  }
  return `${detail ? `${detail}: ` : ''}${(e.message ?? String(err)).split('\n')[0]}`;
}
