import { ByteWriter } from './bytes.ts';
import type { BatchWriter, CaptureRecord, CaptureSink, CaptureStats } from './sink.ts';

export interface BatcherOptions {
  /** Write when this many requests are pending… */
  maxBatch: number;
  /** …or about this many rows (a single larger request is written alone)… */
  maxBatchRows: number;
  /** …or this long after the first one arrived. */
  maxDelayMs: number;
  /**
   * At most this many bytes of encoded records wait to be written. Past it a
   * request waits for room before it is answered (the sink is slower than the
   * traffic: answers slow down, nothing is lost and memory stays bounded)…
   */
  maxPendingBytes: number;
  /** …for at most this long; then, or at once while writes are failing, its record is dropped and counted. */
  maxWaitMs: number;
  /** Wait after a failed write, doubling to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  log: (message: string) => void;
}

export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = {
  maxBatch: 512,
  maxBatchRows: 4096,
  maxDelayMs: 50,
  maxPendingBytes: 4 * 1024 * 1024,
  maxWaitMs: 1_000,
  retryDelayMs: 200,
  maxRetryDelayMs: 5_000,
  log: (m) => console.error(m),
};

/** Bytes of one batch buffer; a record larger than this gets a buffer of its own size. */
const CHUNK_BYTES = 128 * 1024;
/** Written batch buffers kept for reuse rather than freed and allocated again. */
const SPARE_CHUNKS = 2;

/** Records encoded back to back, written in one call. */
interface Batch {
  buf: Buffer;
  used: number;
  records: number;
  rows: number;
}

interface Waiter {
  bytes: Buffer;
  rows: number;
  done: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Queues records as bytes (each writer's encoding, see bytes.ts) and writes
 * them in batches, one write at a time, from a timer: the request that
 * produced a record does not wait for storage. A failed write keeps its batch
 * and is retried with backoff, so a locked database or a full disk loses
 * nothing it can later write; a request that finds the queue full waits for
 * room while the sink is writing, and is dropped (counted, logged, still
 * answered) while it is failing.
 */
export class BatchingSink implements CaptureSink {
  /** Oldest first; records are appended to `filling`, the last one, until it is full or taken for writing. */
  private batches: Batch[] = [];
  private filling: Batch | undefined;
  private spare: Buffer[] = [];
  private pendingBytes = 0;
  private waiters: Waiter[] = [];
  private readonly scratch = new ByteWriter();
  /** The last write failed: new records are not held waiting for room. */
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private retryDelay: number;
  private closed = false;
  private readonly counts = { accepted: 0, written: 0, failures: 0, dropped: 0 };
  private lastError: string | undefined;
  private lastLogged = 0;
  private readonly options: BatcherOptions;

  constructor(
    private readonly writer: BatchWriter,
    options: Partial<BatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_BATCHER_OPTIONS, ...options };
    this.retryDelay = this.options.retryDelayMs;
  }

  enqueue(record: CaptureRecord): Promise<void> | undefined {
    if (this.closed) {
      this.drop(1, 'capture is closing');
      return undefined;
    }
    this.scratch.reset();
    try {
      this.writer.encode(record, this.scratch);
    } catch (err) {
      this.drop(1, `a record could not be encoded: ${(err as Error).message}`);
      return undefined;
    }
    const rows = record.rows.length;
    if (this.waiters.length === 0 && this.fits(this.scratch.length)) {
      this.append(this.scratch.bytes(), rows);
      return undefined;
    }
    if (this.failing || this.options.maxWaitMs <= 0) {
      this.drop(1, `${this.pendingBytes} bytes are waiting for ${this.writer.description}, which is failing (${this.lastError})`);
      return undefined;
    }
    // Copied: the scratch buffer is reused by the next record.
    const bytes = Buffer.from(this.scratch.bytes());
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        bytes,
        rows,
        done: resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          this.drop(1, `${this.writer.description} fell behind: a request waited ${this.options.maxWaitMs} ms for room in the capture queue`);
          resolve();
        }, this.options.maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  stats(): CaptureStats {
    return {
      sink: this.writer.description,
      ...this.counts,
      pending: this.batches.reduce((n, b) => n + b.records, 0),
      waiting: this.waiters.length,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  async close(deadlineMs = 20_000): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + deadlineMs;
    while (this.batches.length > 0 || this.waiters.length > 0 || this.writing) {
      if (this.writing) await this.writing;
      else if (this.batches.length === 0) this.admitWaiters();
      else if (!(await this.writeOnce())) {
        // Wait before retrying, never past the deadline: retrying at once would spin the event loop until then.
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(this.retryDelay, deadline - Date.now()))));
      }
      if (Date.now() >= deadline && (this.batches.length > 0 || this.waiters.length > 0)) {
        const records = this.batches.reduce((n, b) => n + b.records, 0) + this.waiters.length;
        this.options.log(`capture: gave up on ${records} pending records at shutdown: ${this.lastError ?? 'deadline reached'}`);
        this.counts.dropped += records;
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.done();
        }
        this.batches = [];
        this.filling = undefined;
        this.pendingBytes = 0;
      }
    }
    await this.writer.close();
  }

  /** Room for a record of `size` bytes; an empty queue takes any record, however large. */
  private fits(size: number): boolean {
    return this.pendingBytes === 0 || this.pendingBytes + size <= this.options.maxPendingBytes;
  }

  private append(bytes: Buffer, rows: number): void {
    let b = this.filling;
    if (!b || b.used + bytes.length > b.buf.length || b.records >= this.options.maxBatch || (b.records > 0 && b.rows + rows > this.options.maxBatchRows)) {
      const buf = bytes.length <= CHUNK_BYTES ? (this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)) : Buffer.allocUnsafeSlow(bytes.length);
      b = this.filling = { buf, used: 0, records: 0, rows: 0 };
      this.batches.push(b);
    }
    bytes.copy(b.buf, b.used);
    b.used += bytes.length;
    b.records++;
    b.rows += rows;
    this.pendingBytes += bytes.length;
    this.counts.accepted++;
    // A full batch is written at once; a partial one after maxDelayMs, so small batches add up.
    this.schedule(this.batches.length > 1 ? 0 : this.options.maxDelayMs);
  }

  private admitWaiters(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].bytes.length)) {
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      this.append(w.bytes, w.rows);
      w.done();
    }
  }

  private drop(records: number, reason: string): void {
    this.counts.dropped += records;
    if (Date.now() - this.lastLogged > 5_000) {
      this.lastLogged = Date.now();
      this.options.log(`capture: dropped a request's record (${this.counts.dropped} so far): ${reason}`);
    }
  }

  private schedule(delay: number): void {
    if (this.writing || this.closed) return;
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, delay);
    this.timer.unref?.();
  }

  /** Writes batches back to back while full ones are waiting (no timer between them: the sink never idles behind a backlog). */
  private write(): void {
    this.writing = this.writeOnce().then((ok) => {
      this.writing = undefined;
      if (this.closed || this.batches.length === 0) return;
      if (ok && this.batches.length > 1) this.write();
      else this.schedule(ok ? this.options.maxDelayMs : this.retryDelay);
    });
  }

  /** Writes the oldest batch; on failure keeps it first in line for the next try. */
  private async writeOnce(): Promise<boolean> {
    const b = this.batches[0];
    if (!b) return true;
    if (b === this.filling) this.filling = undefined;
    try {
      await this.writer.writeBatch(b.buf.subarray(0, b.used), b.records);
    } catch (err) {
      this.failing = true;
      this.counts.failures++;
      this.lastError = (err as Error).message;
      this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryDelayMs);
      if (Date.now() - this.lastLogged > 5_000) {
        this.lastLogged = Date.now();
        this.options.log(`capture: writing to ${this.writer.description} failed (${this.lastError}); ${this.batches.reduce((n, x) => n + x.records, 0)} records kept, retrying`);
      }
      // Requests waiting for room are answered now: a failing sink never holds up predictions.
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        this.drop(1, `${this.writer.description} is failing (${this.lastError}) and the capture queue is full`);
        w.done();
      }
      return false;
    }
    this.batches.shift();
    this.pendingBytes -= b.used;
    this.counts.written += b.records;
    if (b.buf.length === CHUNK_BYTES && this.spare.length < SPARE_CHUNKS) this.spare.push(b.buf);
    this.failing = false;
    this.retryDelay = this.options.retryDelayMs;
    this.admitWaiters();
    return true;
  }
}
