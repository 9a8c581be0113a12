import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Schema } from '../../model/schema.ts';
import { isBlobUri, parseBlobUri } from '../../cloud/blob-location.ts';
import { UserError } from '../../model/user-error.ts';
import { BatchingSink, type BatcherOptions } from './batcher.ts';
import { blobCaptureWriter } from './blob-loader.ts';
import { JsonlCaptureWriter } from './jsonl.ts';
import type { BatchWriter, CaptureSink } from './sink.ts';
import { SqliteCaptureWriter } from './sqlite.ts';

export const DEFAULT_CAPTURE_URI = 'sqlite:///penguins.db';

/**
 * A capture location: `sqlite:///path/to.db`, `file:///dir`, or a blob URI
 * (`https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX`, cloud/blob-location.ts).
 * Relative paths (`sqlite:///penguins.db`) resolve from the working directory.
 */
export type CaptureLocation = { kind: 'sqlite'; path: string } | { kind: 'file'; dir: string } | { kind: 'blob'; uri: string };

export function parseCaptureUri(uri: string): CaptureLocation {
  if (isBlobUri(uri)) {
    parseBlobUri(uri);
    return { kind: 'blob', uri: uri.trim() };
  }
  const m = /^(sqlite|file):\/\/(.*)$/.exec(uri.trim());
  if (!m || !m[2].startsWith('/') || m[2] === '/') {
    throw new UserError(`capture location ${JSON.stringify(uri)} is not supported`, { fix: 'use sqlite:///path/to/penguins.db, file:///path/to/dir or https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX' });
  }
  // sqlite:///penguins.db names a file relative to the working directory, as SQLAlchemy URLs do; sqlite:////abs/path is absolute.
  const raw = m[1] === 'sqlite' ? m[2].slice(1) : fileURLToPath(`file://${m[2]}`);
  const path = isAbsolute(raw) ? raw : resolve(raw);
  return m[1] === 'sqlite' ? { kind: 'sqlite', path } : { kind: 'file', dir: path };
}

export function openCaptureSink(uri: string, schema: Schema, options: Partial<BatcherOptions> = {}): CaptureSink {
  const location = parseCaptureUri(uri);
  return new BatchingSink(captureWriter(location, schema), options);
}

/** No writer touches its storage before its first write: a storage that cannot be opened is a failed write, retried with its records kept. */
function captureWriter(location: CaptureLocation, schema: Schema): BatchWriter {
  if (location.kind === 'sqlite') return new SqliteCaptureWriter(location.path, schema);
  if (location.kind === 'file') return new JsonlCaptureWriter(location.dir);
  return blobCaptureWriter(location.uri);
}
