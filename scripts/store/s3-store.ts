import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3Client } from '../aws/clients.ts';
import { awsCall } from '../aws/credentials.ts';
import { asFolder, parseS3Uri } from '../../cloud/s3-location.ts';
import { UserError } from '../../model/user-error.ts';
import type { BlobStore, ObjectWriter } from './blob-store.ts';
import { contentType } from './content-type.ts';

export interface S3BlobStoreOptions {
  /** A client of your own; default: scripts/aws/clients.ts's (the standard AWS chain, region and endpoint). */
  client?: S3Client;
  region?: string;
  /** Writes use SSE-KMS with this key; without it objects get the bucket's default encryption. */
  kmsKeyId?: string;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000). */
  pageSize?: number;
}

/**
 * Keys under an S3 prefix, read and written with the AWS SDK: listing pages
 * through ListObjectsV2 with continuation tokens, so captures of any volume
 * are seen; writes are single PutObjects, which S3 makes visible whole or
 * not at all.
 */
export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  /** Key prefix of the root: empty or ending in `/`. */
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly kmsKeyId?: string;
  private readonly pageSize?: number;

  constructor(
    readonly uri: string,
    options: S3BlobStoreOptions = {},
  ) {
    const { bucket, key } = parseS3Uri(uri);
    this.bucket = bucket;
    this.prefix = asFolder(key);
    this.client = options.client ?? s3Client(options.region);
    if (options.kmsKeyId) this.kmsKeyId = options.kmsKeyId;
    if (options.pageSize) this.pageSize = options.pageSize;
  }

  async *list(prefix = ''): AsyncIterable<string> {
    const page = (token: string | undefined): Promise<ListObjectsV2CommandOutput> => {
      const request = this.call(`listing ${this.location(prefix)}`, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
            ...(this.pageSize ? { MaxKeys: this.pageSize } : {}),
          }),
        ),
      );
      // Its error is raised when its turn comes (or never, if the caller stops first); until then it must not count as unhandled.
      request.catch(() => {});
      return request;
    };
    let next: Promise<ListObjectsV2CommandOutput> | undefined = page(undefined);
    while (next) {
      const current: ListObjectsV2CommandOutput = await next;
      const token: string | undefined = current.IsTruncated ? current.NextContinuationToken : undefined;
      if (current.IsTruncated && !token) throw new Error(`${this.location(prefix)}: S3 said the listing is truncated but gave no continuation token`);
      // The next page is requested before this one is handed out: a caller reading each key's object would otherwise stop every thousand keys for a listing round trip.
      next = token ? page(token) : undefined;
      for (const object of current.Contents ?? []) {
        // Keys ending in "/" are folder markers (the console's "Create folder"), not objects.
        if (object.Key && !object.Key.endsWith('/')) yield object.Key.slice(this.prefix.length);
      }
    }
  }

  async read(key: string): Promise<Buffer> {
    try {
      const object = await this.call(`reading ${this.location(key)}`, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key })));
      if (!object.Body) return Buffer.alloc(0);
      const bytes = await object.Body.transformToByteArray();
      // A view, not a copy: the array is this body's alone.
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)) {
        // The same shape as a missing file in the folder store; the cause keeps S3's answer for messages.
        throw Object.assign(new Error(`${this.location(key)}: no such object`, { cause: err }), { code: 'ENOENT' });
      }
      throw err;
    }
  }

  async write(key: string, body: string | Buffer): Promise<void> {
    await this.call(`writing ${this.location(key)}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
          ContentType: contentType(key),
          ...this.encryption(),
        }),
      ),
    );
  }

  async size(key: string): Promise<number> {
    const head = await this.missingAsEnoent(key, () => this.call(`reading ${this.location(key)}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))));
    return head.ContentLength ?? 0;
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const object = await this.missingAsEnoent(key, () =>
      this.call(`reading ${this.location(key)}`, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Range: `bytes=${start}-${end - 1}` }))),
    );
    return object.Body ? object.Body.transformToByteArray() : new Uint8Array(0);
  }

  async *readStream(key: string): AsyncIterable<Uint8Array> {
    const object = await this.missingAsEnoent(key, () => this.call(`reading ${this.location(key)}`, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))));
    // In Node the body is a Readable: read as it arrives, never whole.
    if (object.Body) yield* object.Body as unknown as AsyncIterable<Uint8Array>;
  }

  /** A multipart upload, which S3 shows under the key only when completed; a small object is one PutObject on commit. */
  createWriter(key: string): ObjectWriter {
    return new S3ObjectWriter(this.client, { Bucket: this.bucket, Key: this.prefix + key }, { ContentType: contentType(key), ...this.encryption() }, (what, send) => this.call(`${what} ${this.location(key)}`, send));
  }

  private encryption() {
    return this.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.kmsKeyId } : {};
  }

  private async missingAsEnoent<T>(key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)) {
        // The same shape as a missing file in the folder store; the cause keeps S3's answer for messages.
        throw Object.assign(new Error(`${this.location(key)}: no such object`, { cause: err }), { code: 'ENOENT' });
      }
      throw err;
    }
  }

  private location(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await awsCall(what, send);
    } catch (err) {
      if (err instanceof S3ServiceException && err.name === 'NoSuchBucket') {
        throw new UserError(`${what}: bucket ${this.bucket} does not exist (or is in another account); check the s3:// location`);
      }
      throw err;
    }
  }
}

/** Parts S3 takes: every one but the last at least 5 MiB. */
const PART_BYTES = 8 << 20;

class S3ObjectWriter implements ObjectWriter {
  private pieces: Uint8Array[] = [];
  private buffered = 0;
  private uploadId?: string;
  private readonly parts: { ETag: string; PartNumber: number }[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly object: { Bucket: string; Key: string },
    private readonly options: { ContentType: string; ServerSideEncryption?: 'aws:kms'; SSEKMSKeyId?: string },
    private readonly call: <T>(what: string, send: () => Promise<T>) => Promise<T>,
  ) {}

  async write(piece: Uint8Array): Promise<void> {
    this.pieces.push(piece);
    this.buffered += piece.byteLength;
    if (this.buffered >= PART_BYTES) await this.uploadPart();
  }

  async commit(): Promise<void> {
    if (this.uploadId === undefined) {
      const body = Buffer.concat(this.pieces);
      await this.call('writing', () => this.client.send(new PutObjectCommand({ ...this.object, ...this.options, Body: body })));
      return;
    }
    if (this.buffered > 0) await this.uploadPart();
    const uploadId = this.uploadId;
    await this.call('completing the upload of', () => this.client.send(new CompleteMultipartUploadCommand({ ...this.object, UploadId: uploadId, MultipartUpload: { Parts: this.parts } })));
  }

  async abort(): Promise<void> {
    this.pieces = [];
    if (this.uploadId === undefined) return;
    const uploadId = this.uploadId;
    await this.call('aborting the upload of', () => this.client.send(new AbortMultipartUploadCommand({ ...this.object, UploadId: uploadId })));
  }

  private async uploadPart(): Promise<void> {
    this.uploadId ??= (await this.call('starting an upload of', () => this.client.send(new CreateMultipartUploadCommand({ ...this.object, ...this.options })))).UploadId;
    const body = Buffer.concat(this.pieces);
    this.pieces = [];
    this.buffered = 0;
    const PartNumber = this.parts.length + 1;
    const uploadId = this.uploadId;
    const { ETag } = await this.call('uploading part of', () => this.client.send(new UploadPartCommand({ ...this.object, UploadId: uploadId, PartNumber, Body: body })));
    this.parts.push({ ETag: ETag ?? '', PartNumber });
  }
}
