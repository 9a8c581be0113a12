import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Keys and bytes under one root: a local folder (`file:///dir`), an S3 prefix
 * (`s3://bucket/prefix`) or an Azure blob prefix (`https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX`). Capture readers, labeling and monitoring use only
 * this, so SageMaker's capture files read the same from disk or S3.
 */
export interface BlobStore {
  /** The URI this store was opened from, for messages. */
  readonly uri: string;
  /** Keys (relative to the root, `/`-separated) under `prefix`, in lexicographic order. */
  list(prefix?: string): AsyncIterable<string>;
  read(key: string): Promise<Buffer>;
  /** Writes the whole object; readers never see a partial one. */
  write(key: string, body: string | Buffer): Promise<void>;
  // Objects too large to hold (`rookery score`'s inputs and outputs), a piece at a time:
  /** The object's size in bytes; a missing object is an error with code ENOENT. */
  size(key: string): Promise<number>;
  /** Bytes [start, end) of the object. */
  readRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** The object's bytes in order, a piece at a time. */
  readStream(key: string): AsyncIterable<Uint8Array>;
  createWriter(key: string): ObjectWriter;
}

/** One object written piece by piece: nothing is visible under its key until `commit`, and `abort` leaves nothing behind. */
export interface ObjectWriter {
  write(piece: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Pieces go to `<key>.<uuid>.tmp` (which `list` skips), renamed to the key on commit. */
class FileObjectWriter implements ObjectWriter {
  private readonly tmp: string;
  private handle?: Promise<FileHandle>;

  constructor(private readonly path: string) {
    this.tmp = `${path}.${randomUUID()}.tmp`;
  }

  async write(piece: Uint8Array): Promise<void> {
    this.handle ??= mkdir(dirname(this.path), { recursive: true }).then(() => open(this.tmp, 'w'));
    const handle = await this.handle;
    await handle.write(piece);
  }

  async commit(): Promise<void> {
    if (!this.handle) await this.write(new Uint8Array(0));
    await (await this.handle!).close();
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    if (!this.handle) return;
    await (await this.handle.catch(() => undefined))?.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

/** A folder on disk, written with rename so a crash never leaves a half-written file. */
export class FileBlobStore implements BlobStore {
  readonly root: string;

  constructor(readonly uri: string) {
    this.root = uri.startsWith('file://') ? fileURLToPath(uri) : uri;
  }

  async *list(prefix = ''): AsyncIterable<string> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isDirectory()) await walk(path);
        else if (e.isFile() && !e.name.endsWith('.tmp')) {
          const key = relative(this.root, path).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await walk(this.root);
    keys.sort();
    yield* keys;
  }

  async read(key: string): Promise<Buffer> {
    return readFile(join(this.root, key));
  }

  async write(key: string, body: string | Buffer): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async size(key: string): Promise<number> {
    return (await stat(join(this.root, key))).size;
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const handle = await open(join(this.root, key));
    try {
      const bytes = new Uint8Array(Math.max(0, end - start));
      let at = 0;
      while (at < bytes.length) {
        const { bytesRead } = await handle.read(bytes, at, bytes.length - at, start + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return bytes.subarray(0, at);
    } finally {
      await handle.close();
    }
  }

  readStream(key: string): AsyncIterable<Uint8Array> {
    // Node's default 64 KiB pieces: what a reader builds from one dies young, which keeps the heap small (see bench:score).
    return createReadStream(join(this.root, key));
  }

  createWriter(key: string): ObjectWriter {
    return new FileObjectWriter(join(this.root, key));
  }

  async exists(): Promise<boolean> {
    return (await stat(this.root).catch(() => undefined))?.isDirectory() ?? false;
  }
}
