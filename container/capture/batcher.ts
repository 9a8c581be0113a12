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
   * Past this many bytes of queued records a request's answer waits (its
   * record already queued) until the sink has written the queue back under it:
   * a sink slower than the traffic slows the answers down instead of losing
   * records or growing memory…
   */
  slowDownBytes: number;
  /** …for at most this long; then it is answered anyway (its record stays queued). */
  maxWaitMs: number;
  /**
   * The queue never holds more than this many bytes: past it (the sink is
   * failing, or has hung) new records are dropped and counted.
   */
  maxPendingBytes: number;
  /** Wait after a failed write, doubling to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  log: (message: string) => void;
}

export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = {
  maxBatch: 512,
  maxBatchRows: 4096,
  maxDelayMs: 50,
  slowDownBytes: 1024 * 1024,
  maxWaitMs: 1_000,
  maxPendingBytes: 2 * 1024 * 1024,
  retryDelayMs: 200,
  maxRetryDelayMs: 5_000,
  log: (m) => console.error(m),
};

/** Bytes of one batch buffer; a record larger than this gets a buffer of its own size. */
const CHUNK_BYTES = 128 * 1024;

/** Records encoded back to back, written in one call. */
interface Batch {
  buf: Buffer;
  used: number;
  records: number;
  rows: number;
}

interface Waiter {
  done: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Queues records as bytes (each writer's encoding, see bytes.ts) and writes
 * them in batches, one write at a time: the request that produced a record
 * does not wait for storage. A failed write keeps its batch and is retried
 * with backoff, so a locked database or a full disk loses nothing it can
 * later write. Batch buffers come from a pool as large as the queue can get,
 * so a busy server allocates none: buffers handed to the garbage collector
 * would outlive a few young-generation collections and wait in the old
 * generation for the next full one.
 */
export class BatchingSink implements CaptureSink {
  /** Oldest first; records are appended to `filling`, the last one, until it is full or taken for writing. */
  private batches: Batch[] = [];
  private filling: Batch | undefined;
  private readonly pool: Buffer[] = [];
  private readonly poolSize: number;
  private pendingBytes = 0;
  private waiters: Waiter[] = [];
  private readonly scratch = new ByteWriter();
  /** The last write failed: answers are not held back for a sink that cannot write. */
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private retryDelay: number;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counts = { accepted: 0, written: 0, failures: 0, dropped: 0 };
  private lastError: string | undefined;
  /** When a failed write, and a dropped record, were last logged: each at most every 5 s. */
  private lastLogged = 0;
  private lastDropLogged = 0;
  private readonly options: BatcherOptions;

  constructor(
    private readonly writer: BatchWriter,
    options: Partial<BatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_BATCHER_OPTIONS, ...options };
    this.retryDelay = this.options.retryDelayMs;
    this.poolSize = Math.ceil(this.options.maxPendingBytes / CHUNK_BYTES) + 1;
  }

  enqueue(record: CaptureRecord): Promise<void> | undefined {
    if (this.closed) {
      this.drop('capture is closing');
      return undefined;
    }
    this.scratch.reset();
    try {
      this.writer.encode(record, this.scratch);
    } catch (err) {
      this.drop(`a record could not be encoded: ${(err as Error).message}`);
      return undefined;
    }
    // An empty queue takes any record, however large.
    if (this.pendingBytes > 0 && this.pendingBytes + this.scratch.length > this.options.maxPendingBytes) {
      this.drop(`${this.pendingBytes} bytes are waiting for ${this.writer.description}${this.failing ? `, which is failing (${this.lastError})` : ', which has not finished a write for too long'}`);
      return undefined;
    }
    this.append(this.scratch.bytes(), record.rows.length);
    if (this.pendingBytes <= this.options.slowDownBytes || this.failing || this.options.maxWaitMs <= 0) return undefined;
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        done: resolve,
        timer: setTimeout(() => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
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

  /** Answers held requests at once, writes what is queued, closes the writer; gives up (counting what is left) at the deadline. */
  close(deadlineMs = 20_000): Promise<void> {
    this.closing ??= this.drain(Date.now() + deadlineMs);
    return this.closing;
  }

  private async drain(deadline: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.release();
    // Nothing here waits past the deadline, not even a write that never settles (a hung network file system).
    const untilDeadline = (p: Promise<unknown>) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]).finally(() => clearTimeout(timer));
    };
    while ((this.batches.length > 0 || this.writing) && Date.now() < deadline) {
      if (this.writing) await untilDeadline(this.writing);
      else if (!(await untilDeadline(this.writeOnce()))) {
        // Wait before retrying, never past the deadline: retrying at once would spin the event loop until then.
        await untilDeadline(new Promise((r) => setTimeout(r, this.nextRetryDelay())));
      }
    }
    if (this.batches.length > 0) {
      const records = this.batches.reduce((n, b) => n + b.records, 0);
      this.options.log(`capture: gave up on ${records} pending records at shutdown: ${this.lastError ?? 'deadline reached'}`);
      this.counts.dropped += records;
      this.batches = [];
      this.filling = undefined;
      this.pendingBytes = 0;
    }
    await untilDeadline(Promise.resolve(this.writer.close()));
  }

  /** The wait before the next retry; each call doubles the one after, up to maxRetryDelayMs. */
  private nextRetryDelay(): number {
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, this.options.maxRetryDelayMs);
    return delay;
  }

  private append(bytes: Buffer, rows: number): void {
    let b = this.filling;
    if (!b || b.used + bytes.length > b.buf.length || b.records >= this.options.maxBatch || (b.records > 0 && b.rows + rows > this.options.maxBatchRows)) {
      const buf = bytes.length <= CHUNK_BYTES ? (this.pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)) : Buffer.allocUnsafeSlow(bytes.length);
      b = this.filling = { buf, used: 0, records: 0, rows: 0 };
      this.batches.push(b);
    }
    bytes.copy(b.buf, b.used);
    b.used += bytes.length;
    b.records++;
    b.rows += rows;
    this.pendingBytes += bytes.length;
    this.counts.accepted++;
    // A full batch is written at once, a partial one after maxDelayMs so small batches add up;
    // while the writer is failing, its retry timer stands (traffic must not turn the backoff into a busy loop).
    if (this.failing) return;
    const full = this.batches.length > 1 || b.records >= this.options.maxBatch || b.rows >= this.options.maxBatchRows;
    this.schedule(full ? 0 : this.options.maxDelayMs);
  }

  /** Answers every held request: their records are queued. */
  private release(): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.done();
    }
  }

  private drop(reason: string): void {
    this.counts.dropped++;
    if (Date.now() - this.lastDropLogged > 5_000) {
      this.lastDropLogged = Date.now();
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
      const b = this.batches[0];
      if (!ok) this.schedule(this.nextRetryDelay());
      else if (this.batches.length > 1 || b.records >= this.options.maxBatch || b.rows >= this.options.maxBatchRows) this.write();
      else this.schedule(this.options.maxDelayMs);
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
      if (Date.now() - this.lastLogged > 5_000) {
        this.lastLogged = Date.now();
        this.options.log(`capture: writing to ${this.writer.description} failed (${this.lastError}); ${this.batches.reduce((n, x) => n + x.records, 0)} records kept, retrying`);
      }
      // A failing sink never holds up predictions.
      this.release();
      return false;
    }
    // Unless close() gave up on it at its deadline while the write was still running (and counted it as dropped).
    if (this.batches[0] !== b) return true;
    this.batches.shift();
    this.pendingBytes -= b.used;
    this.counts.written += b.records;
    if (b.buf.length === CHUNK_BYTES && this.pool.length < this.poolSize) this.pool.push(b.buf);
    this.failing = false;
    this.retryDelay = this.options.retryDelayMs;
    if (this.pendingBytes <= this.options.slowDownBytes) this.release();
    return true;
  }
}
