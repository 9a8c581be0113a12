import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Keys and bytes under one root: a local folder (`file:///dir`) or an S3 prefix
 * (`s3://bucket/prefix`). Capture readers, labeling and monitoring use only
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

  async exists(): Promise<boolean> {
    return (await stat(this.root).catch(() => undefined))?.isDirectory() ?? false;
  }
}
