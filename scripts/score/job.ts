import type { ObjectWriter } from '../store/blob-store.ts';
import type { ObjectLocation } from './location.ts';
import type { BatchScorer } from './scorer.ts';

/** What a format's scoring loop gets: where to read, where to write, the scorer, Ctrl-C and progress. */
export interface ScoreJob {
  input: ObjectLocation;
  /** The input's size in bytes. */
  size: number;
  output: ObjectWriter;
  scorer: BatchScorer;
  /** Aborted by Ctrl-C: the loop stops between batches (signal.throwIfAborted). */
  signal: AbortSignal;
  /** How much is done, in the unit the format counts (bytes read, or rows for Parquet). */
  progress(done: number, total: number): void;
}

/** The columns `rookery score` adds; an input that has them already would be ambiguous. */
export const ADDED_COLUMNS = ['prediction', 'confidence'] as const;

/** Text pieces of the input as read, decoded as UTF-8 across piece boundaries, counting bytes for progress. */
export async function* textPieces(job: ScoreJob): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let read = 0;
  for await (const bytes of job.input.store.readStream(job.input.key)) {
    read += bytes.byteLength;
    job.progress(read, job.size);
    yield decoder.decode(bytes, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}
