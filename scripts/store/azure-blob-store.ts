import { randomUUID } from 'node:crypto';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { blobUri, parseBlobUri, type BlobLocation } from '../../cloud/blob-location.ts';
import { asFolder } from '../../cloud/s3-location.ts';
import { openBlobContainer, type BlobContainerOptions } from '../../container/blob-client.ts';
import { UserError } from '../../model/user-error.ts';
import type { BlobStore, ObjectWriter } from './blob-store.ts';
import { contentType } from './content-type.ts';

export interface AzureBlobStoreOptions extends BlobContainerOptions {
  /** Blobs per List Blobs page (the service's maximum and default is 5000). */
  pageSize?: number;
}

/**
 * Keys under a blob name prefix of one Azure Storage container
 * (`https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX`), opened through
 * container/blob-client.ts. Listing pages through List Blobs markers, so any
 * number of captures is seen; a write is one Put Blob, which the service
 * shows whole or not at all. The container must exist (the Azure app creates
 * it): a store never creates one, so a mistyped location fails loudly.
 */
export class AzureBlobStore implements BlobStore {
  /** Blob name prefix of the root: empty or ending in `/`. */
  readonly prefix: string;
  private readonly location: BlobLocation;
  private readonly container: Promise<ContainerClient>;
  private readonly pageSize?: number;
  /** Whether requests are signed with the account key (a 403 then means a wrong key, not a missing role). */
  private readonly sharedKey: boolean;

  constructor(
    readonly uri: string,
    options: AzureBlobStoreOptions = {},
  ) {
    this.location = parseBlobUri(uri);
    this.prefix = asFolder(this.location.prefix);
    this.container = openBlobContainer(uri, options).then((opened) => opened.client);
    // Nothing can fail before first use but the SDK's import; that use reports it.
    this.container.catch(() => undefined);
    if (options.pageSize) this.pageSize = options.pageSize;
    this.sharedKey = options.credential ? 'accountName' in options.credential : Boolean((options.env ?? process.env).AZURE_STORAGE_KEY);
  }

  async *list(prefix = ''): AsyncIterable<string> {
    const client = await this.container;
    const pages = client.listBlobsFlat({ prefix: this.prefix + prefix }).byPage(this.pageSize ? { maxPageSize: this.pageSize } : {});
    const iterator = pages[Symbol.asyncIterator]();
    for (;;) {
      const page = await this.call(`listing ${this.where(prefix)}`, () => iterator.next());
      if (page.done) return;
      for (const item of page.value.segment.blobItems) yield item.name.slice(this.prefix.length);
    }
  }

  async read(key: string): Promise<Buffer> {
    const blob = await this.blob(key);
    return this.call(`reading ${this.where(key)}`, () => blob.downloadToBuffer());
  }

  async write(key: string, body: string | Buffer): Promise<void> {
    const blob = await this.blob(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.call(`writing ${this.where(key)}`, () => blob.upload(bytes, bytes.byteLength, { blobHTTPHeaders: { blobContentType: contentType(key) } }));
  }

  async size(key: string): Promise<number> {
    const blob = await this.blob(key);
    return (await this.call(`reading ${this.where(key)}`, () => blob.getProperties())).contentLength ?? 0;
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const blob = await this.blob(key);
    const length = await this.size(key);
    if (start >= length) return new Uint8Array(0);
    return this.call(`reading ${this.where(key)}`, () => blob.downloadToBuffer(start, Math.min(end, length) - start));
  }

  async *readStream(key: string): AsyncIterable<Uint8Array> {
    const blob = await this.blob(key);
    const download = await this.call(`reading ${this.where(key)}`, () => blob.download());
    // In Node the body is a Readable: read as it arrives, never whole.
    if (download.readableStreamBody) yield* download.readableStreamBody as AsyncIterable<Uint8Array>;
  }

  /** Staged blocks, committed as the blob's block list on commit; nothing shows under the key before. */
  createWriter(key: string): ObjectWriter {
    return new AzureObjectWriter(
      this.blob(key),
      contentType(key),
      <T>(what: string, send: () => Promise<T>) => this.call(`${what} ${this.where(key)}`, send),
    );
  }

  private async blob(key: string): Promise<BlockBlobClient> {
    return (await this.container).getBlockBlobClient(this.prefix + key);
  }

  private where(key: string): string {
    return blobUri(this.location, this.prefix + key);
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw translate(err, what, this.location, this.sharedKey);
    }
  }
}

/** The service's answers a user can act on, as one line each; a missing blob as the folder store's ENOENT. */
function translate(err: unknown, what: string, location: BlobLocation, sharedKey: boolean): unknown {
  const e = err as { name?: string; statusCode?: number; code?: string; details?: { errorCode?: string } };
  const code = e.code ?? e.details?.errorCode;
  if (e.name === 'CredentialUnavailableError' || e.name === 'AggregateAuthenticationError') {
    return new UserError(`${what}: no Azure credentials found`, { fix: 'sign in with `az login` or set AZURE_STORAGE_KEY', cause: err });
  }
  if (code === 'ContainerNotFound') {
    return new UserError(`${what}: container ${location.container} does not exist in account ${location.account}`, { fix: 'check the blob location (rookery does not create containers; the Azure app does)', cause: err });
  }
  if (e.statusCode === 404) return Object.assign(new Error(`${what}: no such blob`, { cause: err }), { code: 'ENOENT' });
  if (e.statusCode === 403 && sharedKey) {
    return new UserError(`${what}: the storage account refused the shared key (${code ?? 403})`, { fix: 'check AZURE_STORAGE_KEY, or unset it and sign in with `az login`', cause: err });
  }
  if (e.statusCode === 403) {
    return new UserError(`${what}: access denied (${code ?? 403})`, {
      fix: `grant yourself Storage Blob Data Reader (to read) or Storage Blob Data Contributor (to write) on container ${location.container}, then \`az login\` again`,
      cause: err,
    });
  }
  return err;
}

/** Blocks the service takes up to 4000 MiB each; 8 MiB keeps the buffered piece small and the block count low. */
const BLOCK_BYTES = 8 << 20;

/**
 * Pieces buffered into blocks, staged as they fill; commit puts the block
 * list, which is when the blob appears. Abort just drops the staged blocks:
 * the service discards uncommitted blocks after a week, and they are never
 * visible under the key.
 */
class AzureObjectWriter implements ObjectWriter {
  private pieces: Uint8Array[] = [];
  private buffered = 0;
  private readonly blocks: string[] = [];
  private readonly nonce = randomUUID();

  constructor(
    private readonly blob: Promise<BlockBlobClient>,
    private readonly type: string,
    private readonly call: <T>(what: string, send: () => Promise<T>) => Promise<T>,
  ) {
    blob.catch(() => undefined);
  }

  async write(piece: Uint8Array): Promise<void> {
    this.pieces.push(piece);
    this.buffered += piece.byteLength;
    if (this.buffered >= BLOCK_BYTES) await this.stage();
  }

  async commit(): Promise<void> {
    const blob = await this.blob;
    const headers = { blobHTTPHeaders: { blobContentType: this.type } };
    if (this.blocks.length === 0) {
      const body = Buffer.concat(this.pieces);
      await this.call('writing', () => blob.upload(body, body.byteLength, headers));
      return;
    }
    if (this.buffered > 0) await this.stage();
    await this.call('writing', () => blob.commitBlockList(this.blocks, headers));
  }

  async abort(): Promise<void> {
    this.pieces = [];
    this.buffered = 0;
  }

  private async stage(): Promise<void> {
    const blob = await this.blob;
    const body = Buffer.concat(this.pieces);
    this.pieces = [];
    this.buffered = 0;
    // Block ids must all have the same length within a blob: a writer's nonce and a zero-padded number.
    const id = Buffer.from(`${this.nonce}-${String(this.blocks.length).padStart(6, '0')}`).toString('base64');
    await this.call('writing', () => blob.stageBlock(id, body, body.byteLength));
    this.blocks.push(id);
  }
}
