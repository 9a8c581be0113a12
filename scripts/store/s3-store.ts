import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../aws/clients.ts';
import { awsCall } from '../aws/credentials.ts';
import { asFolder, parseS3Uri } from '../../cloud/s3-location.ts';
import { UserError } from '../../model/user-error.ts';
import type { BlobStore } from './blob-store.ts';

export interface S3BlobStoreOptions {
  /** A client of your own; default: scripts/aws/clients.ts's (the standard AWS chain, region and endpoint). */
  client?: S3Client;
  region?: string;
  /** Writes use SSE-KMS with this key; without it objects get the bucket's default encryption. */
  kmsKeyId?: string;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000). */
  pageSize?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.html': 'text/html; charset=utf-8',
  '.csv': 'text/csv',
  '.gz': 'application/gzip',
};

function contentType(key: string): string {
  const ext = /\.[a-z]+$/i.exec(key)?.[0].toLowerCase() ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
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
    let token: string | undefined;
    do {
      const page = await this.call(`listing ${this.location(prefix)}`, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
            ...(this.pageSize ? { MaxKeys: this.pageSize } : {}),
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        // Keys ending in "/" are folder markers (the console's "Create folder"), not objects.
        if (object.Key && !object.Key.endsWith('/')) yield object.Key.slice(this.prefix.length);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token) throw new Error(`${this.location(prefix)}: S3 said the listing is truncated but gave no continuation token`);
    } while (token);
  }

  async read(key: string): Promise<Buffer> {
    try {
      const object = await this.call(`reading ${this.location(key)}`, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key })));
      if (!object.Body) return Buffer.alloc(0);
      return Buffer.from(await object.Body.transformToByteArray());
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
          ...(this.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.kmsKeyId } : {}),
        }),
      ),
    );
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
