import type { FeatureRow } from '../../model/dataset.ts';
import type { Prediction } from '../../model/predictor.ts';

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
  /** Requests waiting to be written. */
  pending: number;
  /** Failed write attempts (each is retried). */
  failures: number;
  /** Requests given up on: the queue was full, or a stop came while the sink was still failing. */
  dropped: number;
  lastError?: string;
}

/** Where captured requests go. `enqueue` never throws and never waits: capture is off the request's path. */
export interface CaptureSink {
  enqueue(record: CaptureRecord): void;
  /** Writes everything pending; resolves when done or when the deadline passes. */
  close(deadlineMs?: number): Promise<void>;
  stats(): CaptureStats;
}

/**
 * A sink's storage. `encode` turns a record into what this storage writes, at
 * enqueue time, so a queued record holds only that (SQLite keeps a flat list of
 * values, not the request's objects and bodies); `writeBatch` writes encoded
 * records, throwing if nothing of the batch was stored.
 */
export interface BatchWriter<T = unknown> {
  readonly description: string;
  encode(record: CaptureRecord): T;
  writeBatch(items: T[]): Promise<void> | void;
  close(): Promise<void> | void;
}
