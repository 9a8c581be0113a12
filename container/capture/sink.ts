import type { FeatureRow } from '../../model/dataset.ts';
import type { Prediction } from '../../model/predictor.ts';
import { ByteWriter } from './bytes.ts';

/** One scored request, as the server hands it to capture. */
export interface CaptureRecord {
  eventId: string;
  inferenceId?: string;
  time: Date;
  rows: FeatureRow[];
  predictions: Prediction[];
  /** The request and response bodies as sent, for sinks that keep them verbatim (SageMaker's format). */
  requestBody: string;
  requestContentType: string;
  responseBody: string;
}

export interface CaptureStats {
  sink: string;
  /** Requests accepted for capture. */
  accepted: number;
  /** Requests written to the sink. */
  written: number;
  /** Requests queued, waiting to be written. */
  pending: number;
  /** Requests whose answer is held until the sink catches up (their records are queued). */
  waiting: number;
  /** Failed write attempts (each is retried); `lastError` is the most recent one's, kept after a recovery. */
  failures: number;
  /** Requests whose record was not stored: refused at the queue's byte limit, or given up at a stop while the sink was still failing. */
  dropped: number;
  lastError?: string;
}

/**
 * Where captured requests go. Capture is off the request's path: `enqueue`
 * never throws, and queues the record at once (or drops and counts it, when
 * the queue is at its byte limit because the storage is failing or stuck). It
 * returns `undefined`, or, when the queue has grown past the point where the
 * storage is clearly slower than the traffic, a promise the caller awaits
 * before answering: it settles once the storage has caught up, after a wait
 * limit, or at once if the storage fails, and never rejects. A sink slower
 * than the traffic thus slows the answers down instead of losing records or
 * growing memory without bound.
 */
export interface CaptureSink {
  enqueue(record: CaptureRecord): Promise<void> | undefined;
  /** Writes everything pending; resolves when done or when the deadline passes. */
  close(deadlineMs?: number): Promise<void>;
  stats(): CaptureStats;
}

/**
 * A sink's storage. `encode` appends a record's bytes to `out` when the record
 * is queued, so a queued record is bytes outside the JavaScript heap, not the
 * request's objects and bodies (see bytes.ts); `writeBatch` stores `count`
 * records encoded back to back, throwing if nothing of the batch was stored.
 * `bytes` belongs to the caller again once the call settles.
 */
export interface BatchWriter {
  readonly description: string;
  encode(record: CaptureRecord, out: ByteWriter): void;
  writeBatch(bytes: Uint8Array, count: number): Promise<void> | void;
  close(): Promise<void> | void;
}

/** Encodes and writes records in one batch: for tools and tests that write captures without a server. */
export async function writeRecords(writer: BatchWriter, records: CaptureRecord[]): Promise<void> {
  const out = new ByteWriter();
  for (const r of records) writer.encode(r, out);
  await writer.writeBatch(out.bytes(), records.length);
}
