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
 * This module uses only `node:` built-ins on purpose: the CDK app packages
 * the initial model with it and the CLI packages later ones, and both must
 * produce the same layout.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Files that belong to the registry's bookkeeping, not to the model. */
const NOT_MODEL_FILES = new Set(['version.json']);

const BLOCK = 512;

export interface ModelArchive {
  /** The tar.gz bytes. */
  body: Buffer;
  /** SHA-256 (hex) over the files' relative paths and contents. */
  sha256: string;
  /** Relative POSIX paths of the archived files, sorted. */
  files: string[];
}

export class ModelArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelArchiveError';
  }
}

/** Packs an MLflow-layout model directory as SageMaker's model.tar.gz. */
export function buildModelArchive(dir: string): ModelArchive {
  let mlmodel = false;
  try {
    mlmodel = statSync(join(dir, 'MLmodel')).isFile();
  } catch {
    // reported below
  }
  if (!mlmodel) throw new ModelArchiveError(`${dir} is not a model directory: it has no MLmodel file (train one with \`rookery train\`)`);

  const entries = walk(dir, '');
  const files = entries.filter((e) => !e.dir).map((e) => e.path);
  const hash = createHash('sha256');
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    if (entry.dir) {
      blocks.push(header(`${entry.path}/`, 0, 0o755, '5'));
      continue;
    }
    const data = readFileSync(join(dir, entry.path));
    hash.update(`${entry.path}\0`).update(data).update('\0');
    blocks.push(header(entry.path, data.length, 0o644, '0'), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return { body: gzipSync(Buffer.concat(blocks), { level: 9 }), sha256: hash.digest('hex'), files };
}

interface Entry {
  path: string;
  dir: boolean;
}

function walk(root: string, rel: string): Entry[] {
  const out: Entry[] = [];
  const names = readdirSync(rel ? join(root, rel) : root).sort();
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    if (!rel && NOT_MODEL_FILES.has(name)) continue;
    if (name.startsWith('.')) continue;
    const stat = statSync(join(root, ...path.split('/')));
    if (stat.isDirectory()) {
      out.push({ path, dir: true }, ...walk(root, path));
    } else if (stat.isFile()) {
      out.push({ path, dir: false });
    }
  }
  return out;
}

/** A POSIX ustar header: name, mode, uid/gid 0, size, mtime 0, type. */
function header(name: string, size: number, mode: number, type: '0' | '5'): Buffer {
  if (Buffer.byteLength(name) > 100) {
    throw new ModelArchiveError(`${name.split('/').join(sep)} has a path longer than 100 bytes; model artifacts are flat folders, so rename it`);
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
