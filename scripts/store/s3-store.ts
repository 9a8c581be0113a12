import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { awsCall } from '../aws/credentials.ts';
import { UserError } from '../command.ts';
import type { BlobStore } from './blob-store.ts';

export interface S3BlobStoreOptions {
  /** A client of your own (tests point one at a local double); default: the standard AWS chain and region. */
  client?: S3Client;
  region?: string;
  /** Writes use SSE-KMS with this key; without it objects get the bucket's default encryption. */
  kmsKeyId?: string;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000). */
  pageSize?: number;
}

/** Splits `s3://bucket/prefix` into the bucket and a key prefix that is empty or ends in `/`. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri.trim());
  if (!m) throw new UserError(`${JSON.stringify(uri)} is not an S3 location; write s3://bucket or s3://bucket/prefix`, 2);
  const path = (m[2] ?? '').replace(/^\/+/, '');
  return { bucket: m[1], prefix: path && !path.endsWith('/') ? `${path}/` : path };
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
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(uri));
    // A bucket in another region than the profile's answers with a redirect the client then follows.
    this.client = options.client ?? new S3Client({ ...(options.region ? { region: options.region } : {}), followRegionRedirects: true });
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
        // The same shape as a missing file in the folder store.
        throw Object.assign(new Error(`${this.location(key)}: no such object`), { code: 'ENOENT' });
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
