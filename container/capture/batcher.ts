import { ByteWriter } from './bytes.ts';
import type { BatchWriter, CaptureRecord, CaptureSink, CaptureStats } from './sink.ts';

/** What capture does while its storage fails (BatcherOptions.onFault). */
export type FaultPolicy = 'drop' | 'hold';

export interface BatcherOptions {
  /** Write when this many requests are pending… */
  maxBatch: number;
  /** …or about this many rows (a single larger request is written alone)… */
  maxBatchRows: number;
  /** …or this long after the first one arrived (durable mode writes as soon as the previous write is done). */
  maxDelayMs: number;
  /**
   * The queue's size. A request whose record does not fit waits, unanswered,
   * until writes make room (records enter in arrival order): a sink slower
   * than the traffic slows the answers down instead of losing records or
   * growing memory. An empty queue takes any record, however large.
   */
  maxPendingBytes: number;
  /**
   * The longest an answer waits: for room in the queue, or in durable mode for
   * its batch's write. Past it a record still outside the queue is dropped and
   * counted, and the request answered (503 in durable mode under `hold`).
   */
  maxWaitMs: number;
  /**
   * While writes fail: `drop` keeps answering at once, dropping (and counting)
   * the records the queue has no room for; `hold` keeps those answers waiting,
   * up to maxWaitMs, so a fault shorter than that loses no record.
   */
  onFault: FaultPolicy;
  /** Answer only once the record's batch is written (group commit: one write carries every request that arrived during the one before). */
  durable: boolean;
  /** The longest close() spends writing what is queued. */
  flushMs: number;
  /** Wait after a failed write, doubling to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  log: (message: string) => void;
}

export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = {
  maxBatch: 512,
  maxBatchRows: 4096,
  maxDelayMs: 50,
  maxPendingBytes: 2 * 1024 * 1024,
  maxWaitMs: 10_000,
  onFault: 'drop',
  durable: false,
  flushMs: 10_000,
  retryDelayMs: 100,
  // Short enough that a recovered sink is noticed within a second: answers held under `hold` wait for it.
  maxRetryDelayMs: 1_000,
  log: (m) => console.error(m),
};

/** Bytes of one batch buffer; a record larger than this gets a buffer of its own size. */
const CHUNK_BYTES = 128 * 1024;

/** The answers waiting for one batch's write (durable mode); `ok` false means the record is not known to be stored. */
interface Commit {
  promise: Promise<boolean>;
  settle: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

/** Records encoded back to back, written in one call. */
interface Batch {
  buf: Buffer;
  used: number;
  records: number;
  rows: number;
  commit?: Commit;
}

/** A request whose record waits for room in the queue: its encoding, copied outside the JavaScript heap. */
interface Waiter {
  bytes: Buffer;
  rows: number;
  done: (answer: boolean | Promise<boolean>) => void;
  timer: NodeJS.Timeout;
}

/**
 * Queues records as bytes (each writer's encoding, see bytes.ts) and writes
 * them in batches, one write at a time. The queue admits a request's whole
 * record or the answer waits for room, so a healthy sink loses nothing at any
 * request size; `onFault` says what happens while writes fail, `durable`
 * whether an answer waits for its batch's write. A failed write keeps its
 * batch and is retried with backoff, so a locked database or a full disk
 * loses nothing it can later write. Batch buffers come from a pool as large
 * as the queue can get, so a busy server allocates none: buffers handed to the
 * garbage collector would outlive a few young-generation collections and wait
 * in the old generation for the next full one.
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
  /** The last write failed. */
  private failing = false;
  /** Drops since the last successful write: capture is degraded until the next one. */
  private dropsSinceWrite = 0;
  private writeStarted = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private retryDelay: number;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counts = { accepted: 0, written: 0, failures: 0, dropped: 0 };
  private lastError: string | undefined;
  private recovered: { previousError: string; recoveredAt: string } | undefined;
  /** When a failed write, and a dropped record, were last logged: each at most every 5 s. */
  private lastLogged = 0;
  private lastDropLogged = 0;
  private readonly options: BatcherOptions;
  /** Durable under `hold`: an answer whose record is not known to be stored is a 503, never a 200. */
  private readonly strict: boolean;

  constructor(
    private readonly writer: BatchWriter,
    options: Partial<BatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_BATCHER_OPTIONS, ...options };
    if (this.options.durable) this.options.maxDelayMs = 0;
    this.strict = this.options.durable && this.options.onFault === 'hold';
    this.retryDelay = this.options.retryDelayMs;
    this.poolSize = Math.ceil(this.options.maxPendingBytes / CHUNK_BYTES) + 1;
  }

  enqueue(record: CaptureRecord): Promise<boolean> | undefined {
    if (this.closed) {
      this.drop('capture is closing');
      return this.strict ? Promise.resolve(false) : undefined;
    }
    this.scratch.reset();
    try {
      this.writer.encode(record, this.scratch);
    } catch (err) {
      this.drop(`a record could not be encoded: ${(err as Error).message}`);
      return undefined;
    }
    // Behind records already waiting, in arrival order.
    if (this.waiters.length === 0 && this.fits(this.scratch.length)) return this.append(this.scratch.bytes(), record.rows.length);
    if (this.failing && this.options.onFault === 'drop') {
      this.drop(`${this.pendingBytes} bytes are waiting for ${this.writer.description}, which is failing (${this.lastError})`);
      return undefined;
    }
    const bytes = Buffer.allocUnsafeSlow(this.scratch.length);
    this.scratch.bytes().copy(bytes);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        bytes,
        rows: record.rows.length,
        done: resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          this.drop(`it waited ${this.options.maxWaitMs} ms for room in the queue (${this.pendingBytes} bytes for ${this.writer.description}${this.failing ? `, which is failing: ${this.lastError}` : ''})`);
          resolve(!this.strict);
        }, this.options.maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  stats(): CaptureStats {
    const degraded = this.degraded();
    return {
      sink: this.writer.description,
      ...this.counts,
      pending: this.batches.reduce((n, b) => n + b.records, 0),
      waiting: this.waiters.length + this.batches.reduce((n, b) => n + (b.commit ? b.records : 0), 0),
      ...(degraded ? { degraded } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.recovered && !this.lastError ? this.recovered : {}),
    };
  }

  /** Why capture is not keeping every record right now, if it is not. */
  private degraded(): string | undefined {
    if (this.failing) return `writes to ${this.writer.description} are failing: ${this.lastError}`;
    if (this.dropsSinceWrite > 0) return `${this.dropsSinceWrite} records dropped since the last write to ${this.writer.description}`;
    if (this.writing && Date.now() - this.writeStarted > this.options.maxWaitMs) return `a write to ${this.writer.description} has been running for ${Date.now() - this.writeStarted} ms`;
    return undefined;
  }

  /** Admits waiting records, writes what is queued, closes the writer; gives up (counting what is left) at the deadline or after flushMs. */
  close(deadlineMs = this.options.flushMs): Promise<void> {
    this.closing ??= this.drain(Date.now() + Math.min(deadlineMs, this.options.flushMs));
    return this.closing;
  }

  private async drain(deadline: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.admit();
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
      for (const b of this.batches) this.settle(b, !this.strict);
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

  private fits(bytes: number): boolean {
    return this.pendingBytes === 0 || this.pendingBytes + bytes <= this.options.maxPendingBytes;
  }

  /** Queues a record; in durable mode returns its batch's commit (unless writes are failing under `drop`). */
  private append(bytes: Buffer, rows: number): Promise<boolean> | undefined {
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
    const commit = this.options.durable && !(this.failing && this.options.onFault === 'drop') ? (b.commit ??= this.commitFor(b)).promise : undefined;
    // A full batch is written at once, a partial one after maxDelayMs so small batches add up;
    // while the writer is failing, its retry timer stands (traffic must not turn the backoff into a busy loop).
    if (!this.failing) {
      const full = this.batches.length > 1 || b.records >= this.options.maxBatch || b.rows >= this.options.maxBatchRows;
      this.schedule(full ? 0 : this.options.maxDelayMs);
    }
    return commit;
  }

  /** A batch's commit, settled by its write, or unconfirmed after maxWaitMs (then later records of the batch get a new one). */
  private commitFor(b: Batch): Commit {
    let settle!: (ok: boolean) => void;
    const promise = new Promise<boolean>((resolve) => (settle = resolve));
    const timer = setTimeout(() => {
      if (b.commit !== commit) return;
      this.options.log(`capture: ${b.records} answers sent after ${this.options.maxWaitMs} ms without their records written${this.strict ? ' (as 503s)' : ''}`);
      this.settle(b, !this.strict);
    }, this.options.maxWaitMs);
    const commit: Commit = { promise, settle, timer };
    return commit;
  }

  private settle(b: Batch, ok: boolean): void {
    if (!b.commit) return;
    clearTimeout(b.commit.timer);
    b.commit.settle(ok);
    b.commit = undefined;
  }

  /** Moves waiting records into the queue as room allows (all of them when closing: the flush writes them). */
  private admit(): void {
    while (this.waiters.length > 0 && (this.closed || this.fits(this.waiters[0].bytes.length))) {
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      w.done(this.append(w.bytes, w.rows) ?? true);
    }
  }

  /** Writes are failing under `drop`: answer everyone waiting, dropping the records that are not queued. */
  private giveUpWaiting(): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      this.drop(`${this.writer.description} is failing (${this.lastError})`);
      w.done(true);
    }
    for (const b of this.batches) this.settle(b, true);
  }

  private drop(reason: string): void {
    this.counts.dropped++;
    this.dropsSinceWrite++;
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
      else if (this.batches.length > 1 || b.records >= this.options.maxBatch || b.rows >= this.options.maxBatchRows || this.options.durable) this.write();
      else this.schedule(this.options.maxDelayMs);
    });
  }

  /** Writes the oldest batch; on failure keeps it first in line for the next try. */
  private async writeOnce(): Promise<boolean> {
    const b = this.batches[0];
    if (!b) return true;
    if (b === this.filling) this.filling = undefined;
    this.writeStarted = Date.now();
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
      if (this.options.onFault === 'drop') this.giveUpWaiting();
      return false;
    }
    // Unless close() gave up on it at its deadline while the write was still running (and counted it as dropped).
    if (this.batches[0] !== b) return true;
    this.batches.shift();
    this.pendingBytes -= b.used;
    this.counts.written += b.records;
    this.settle(b, true);
    if (b.buf.length === CHUNK_BYTES && this.pool.length < this.poolSize) this.pool.push(b.buf);
    if (this.lastError) {
      this.recovered = { previousError: this.lastError, recoveredAt: new Date().toISOString() };
      this.options.log(`capture: writing to ${this.writer.description} works again after: ${this.lastError}`);
    }
    this.failing = false;
    this.lastError = undefined;
    this.dropsSinceWrite = 0;
    this.retryDelay = this.options.retryDelayMs;
    this.admit();
    return true;
  }
}
