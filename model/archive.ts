/**
 * The model artifact as SageMaker takes it: one gzip-compressed tar whose
 * root is the artifact directory (MLmodel at the top), unpacked into
 * /opt/ml/model before the container starts.
 *
 * The archive is reproducible: entries sorted, owner root, fixed modes and
 * mtime, no extended headers. Its identity is `sha256`, taken over the
 * files' relative paths and bytes rather than over the compressed output, so
 * the same model gets the same S3 key from `cdk deploy` and from
 * `rookery deploy sagemaker` whatever zlib build compressed it.
 *
 * The CDK app packages the initial model with it and the CLI packages later
 * ones, and both must produce the same layout.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { modelContentHash, modelFiles } from './content-hash.ts';
import { UserError } from './user-error.ts';

const BLOCK = 512;

export interface ModelArchive {
  /** The tar.gz bytes. */
  body: Buffer;
  /** The model's content hash (./content-hash.ts). */
  sha256: string;
  /** Relative POSIX paths of the archived files, sorted. */
  files: string[];
}

/** Packs an MLflow-layout model directory as SageMaker's model.tar.gz. */
export function buildModelArchive(dir: string): ModelArchive {
  const mlmodel = join(dir, 'MLmodel');
  if (!existsSync(mlmodel) || !statSync(mlmodel).isFile()) {
    throw new UserError(`${dir} is not a model directory: it has no MLmodel file`, { fix: 'train one with `rookery train`' });
  }
  const files = modelFiles(dir);
  const blocks: Buffer[] = [];
  for (const dirPath of parentDirs(files.map((f) => f.path))) blocks.push(header(`${dirPath}/`, 0, 0o755, '5'));
  for (const f of files) {
    const data = readFileSync(f.file);
    blocks.push(header(f.path, data.length, 0o644, '0'), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return { body: gzipSync(Buffer.concat(blocks), { level: 9 }), sha256: modelContentHash(files), files: files.map((f) => f.path) };
}

/** Every folder above the files, sorted, so tar lists each before its contents. */
function parentDirs(paths: string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}

/** A POSIX ustar header: name, mode, uid/gid 0, size, mtime 0, type. */
function header(name: string, size: number, mode: number, type: '0' | '5'): Buffer {
  if (Buffer.byteLength(name) > 100) {
    throw new UserError(`${name.split('/').join(sep)} has a path longer than 100 bytes`, { fix: 'model artifacts are flat folders, so rename it' });
  }
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 7), 100, 8, 'ascii');
  h.write(octal(0, 7), 108, 8, 'ascii');
  h.write(octal(0, 7), 116, 8, 'ascii');
  h.write(octal(size, 11), 124, 12, 'ascii');
  h.write(octal(0, 11), 136, 12, 'ascii');
  h.fill(' ', 148, 156);
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\u000000', 257, 8, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width, '0')}\0`;
}
