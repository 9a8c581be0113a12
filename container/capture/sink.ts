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
  /** The answer's media type when it is not MLflow's JSON (Batch Transform answers CSV or JSON Lines); default application/json. */
  responseContentType?: string;
}

export interface CaptureStats {
  sink: string;
  /** Requests accepted for capture. */
  accepted: number;
  /** Requests written to the sink. */
  written: number;
  /** Requests queued, waiting to be written. */
  pending: number;
  /** Requests whose answer is held: waiting for room in the queue, or (durable mode) for their batch's write. */
  waiting: number;
  /** Failed write attempts (each is retried). */
  failures: number;
  /** Requests whose record was not stored: dropped under the `drop` policy while writes fail, after waiting the longest allowed, or given up at a stop. */
  dropped: number;
  /** Why capture is not keeping every record right now (writes failing, records dropped since the last write); absent when all is well. */
  degraded?: string;
  /** The failing writes' error, while they fail. */
  lastError?: string;
  /** Once writes work again: the error they had, and when they recovered. */
  previousError?: string;
  recoveredAt?: string;
}

/**
 * Where captured requests go. `enqueue` never throws. It queues the record at
 * once and returns `undefined`, or returns a promise the caller awaits before
 * answering: while the queue has no room for the record (it enters as writes
 * make room), or in durable mode until the record's batch is written. The
 * promise never rejects; it resolves to false when the answer must not claim
 * success (durable mode under the `hold` policy, the record not stored in
 * time: the server answers 503).
 */
export interface CaptureSink {
  enqueue(record: CaptureRecord): Promise<boolean> | undefined;
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
