import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Schema } from '../../model/schema.ts';
import { UserError } from '../../model/user-error.ts';
import { BatchingSink, type BatcherOptions } from './batcher.ts';
import { JsonlCaptureWriter } from './jsonl.ts';
import type { CaptureSink } from './sink.ts';
import { SqliteCaptureWriter } from './sqlite.ts';

export const DEFAULT_CAPTURE_URI = 'sqlite:///penguins.db';

/** A capture location: `sqlite:///path/to.db` or `file:///dir`. Relative paths (`sqlite:///penguins.db`) resolve from the working directory. */
export type CaptureLocation = { kind: 'sqlite'; path: string } | { kind: 'file'; dir: string };

export function parseCaptureUri(uri: string): CaptureLocation {
  const m = /^(sqlite|file):\/\/(.*)$/.exec(uri.trim());
  if (!m || !m[2].startsWith('/') || m[2] === '/') {
    throw new UserError(`capture location ${JSON.stringify(uri)} is not supported`, { fix: 'use sqlite:///path/to/penguins.db or file:///path/to/dir' });
  }
  // sqlite:///penguins.db names a file relative to the working directory, as SQLAlchemy URLs do; sqlite:////abs/path is absolute.
  const raw = m[1] === 'sqlite' ? m[2].slice(1) : fileURLToPath(`file://${m[2]}`);
  const path = isAbsolute(raw) ? raw : resolve(raw);
  return m[1] === 'sqlite' ? { kind: 'sqlite', path } : { kind: 'file', dir: path };
}

export function openCaptureSink(uri: string, schema: Schema, options: Partial<BatcherOptions> = {}): CaptureSink {
  const location = parseCaptureUri(uri);
  // Neither writer touches the disk before its first write: a storage that cannot be opened is a failed write, retried with its records kept.
  const writer = location.kind === 'sqlite' ? new SqliteCaptureWriter(location.path, schema) : new JsonlCaptureWriter(location.dir);
  return new BatchingSink(writer, options);
}
