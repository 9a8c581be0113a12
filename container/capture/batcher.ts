import type { BatchWriter, CaptureRecord, CaptureSink, CaptureStats } from './sink.ts';

export interface BatcherOptions {
  /** Write when this many requests are pending… */
  maxBatch: number;
  /** …and write at most about this many rows at a time. */
  maxBatchRows: number;
  /** …or this long after the first one arrived. */
  maxDelayMs: number;
  /**
   * Above this many pending input rows new requests are dropped (and counted)
   * rather than growing the heap without bound while the sink falls behind.
   */
  maxPendingRows: number;
  /** Wait after a failed write, doubling to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  log: (message: string) => void;
}

export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = {
  maxBatch: 512,
  maxBatchRows: 4096,
  maxDelayMs: 50,
  maxPendingRows: 100_000,
  retryDelayMs: 200,
  maxRetryDelayMs: 5_000,
  log: (m) => console.error(m),
};

/**
 * Queues records and writes them in batches, one write at a time, from a
 * timer: the request that produced a record never waits for storage. A failed
 * write keeps its records queued and is retried with backoff, so a locked
 * database or a full disk loses nothing it can later write.
 */
export class BatchingSink implements CaptureSink {
  private queue: { item: unknown; rows: number }[] = [];
  private pendingRows = 0;
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

  enqueue(record: CaptureRecord): void {
    if (this.closed || this.pendingRows + record.rows.length > this.options.maxPendingRows) {
      this.counts.dropped++;
      if (!this.closed && Date.now() - this.lastLogged > 5_000) {
        this.lastLogged = Date.now();
        this.options.log(`capture: ${this.pendingRows} rows are waiting for ${this.writer.description}; dropping new requests until it catches up`);
      }
      return;
    }
    this.counts.accepted++;
    this.pendingRows += record.rows.length;
    this.queue.push({ item: this.writer.encode(record), rows: record.rows.length });
    if (this.queue.length >= this.options.maxBatch) this.schedule(0);
    else this.schedule(this.options.maxDelayMs);
  }

  stats(): CaptureStats {
    return {
      sink: this.writer.description,
      ...this.counts,
      pending: this.queue.length,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  async close(deadlineMs = 20_000): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + deadlineMs;
    while (this.queue.length > 0 || this.writing) {
      if (this.writing) await this.writing;
      else if (!(await this.writeOnce())) {
        // Wait before retrying, never past the deadline: retrying at once would spin the event loop until then.
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(this.retryDelay, deadline - Date.now()))));
      }
      if (Date.now() >= deadline && this.queue.length > 0) {
        this.counts.dropped += this.queue.length;
        this.options.log(`capture: gave up on ${this.queue.length} pending records at shutdown: ${this.lastError ?? 'deadline reached'}`);
        this.queue = [];
        this.pendingRows = 0;
      }
    }
    await this.writer.close();
  }

  private schedule(delay: number): void {
    if (this.writing || this.closed) return;
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writeOnce().then((ok) => {
        this.writing = undefined;
        if (this.closed || this.queue.length === 0) return;
        this.schedule(ok ? (this.queue.length >= this.options.maxBatch ? 0 : this.options.maxDelayMs) : this.retryDelay);
      });
    }, delay);
    this.timer.unref?.();
  }

  /** Writes one batch; on failure puts it back at the front of the queue. */
  private async writeOnce(): Promise<boolean> {
    // At most maxBatch requests and about maxBatchRows rows: large requests make smaller batches, keeping each write's copy small.
    let take = 0;
    for (let rows = 0; take < this.queue.length && take < this.options.maxBatch && rows < this.options.maxBatchRows; take++) rows += this.queue[take].rows;
    const batch = this.queue.splice(0, take);
    if (batch.length === 0) return true;
    try {
      await this.writer.writeBatch(batch.map((b) => b.item));
      this.counts.written += batch.length;
      for (const b of batch) this.pendingRows -= b.rows;
      this.retryDelay = this.options.retryDelayMs;
      return true;
    } catch (err) {
      this.queue.unshift(...batch);
      this.counts.failures++;
      this.lastError = (err as Error).message;
      this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryDelayMs);
      if (Date.now() - this.lastLogged > 5_000) {
        this.lastLogged = Date.now();
        this.options.log(`capture: writing to ${this.writer.description} failed (${this.lastError}); ${this.queue.length} records kept, retrying`);
      }
      return false;
    }
  }
}
