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
  /** Requests held before their answer because the queue is full (the sink is slower than the traffic). */
  waiting: number;
  /** Failed write attempts (each is retried). */
  failures: number;
  /** Requests given up on: the queue was full while the sink failed or for longer than the wait limit, or a stop came while the sink was still failing. */
  dropped: number;
  lastError?: string;
}

/**
 * Where captured requests go. Capture is off the request's path: `enqueue`
 * never throws, and it returns `undefined` when the record is queued at once.
 * Only when the queue is full of records a working sink is still writing does
 * it return a promise, which settles once the record is queued (or, after the
 * sink's wait limit or as soon as the sink fails, once it is dropped and
 * counted): the caller answers after that, so a request that got a 200 has its
 * record queued, and a sink slower than the traffic slows the answers instead
 * of losing records or growing memory without bound. The promise never rejects.
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
