import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Schema } from '../../model/schema.ts';
import { knownIndex, type ByteWriter } from './bytes.ts';
import type { BatchWriter, CaptureRecord } from './sink.ts';
import type { Command, Reply, Request, WorkerSetup } from './sqlite-worker.ts';

export const CAPTURE_TABLE = 'data';
/** The shared buffer's first size: a batch of 1-row records (the batcher's chunk size); larger batches grow it. */
const SHARED_BYTES = 128 * 1024;

/** Column names and SQL types of the capture table for a schema; the target column stays empty for labeling. */
export function captureColumns(schema: Schema): { name: string; sql: 'REAL' | 'TEXT' }[] {
  return [
    ...schema.features.map((f) => ({ name: f.name, sql: f.type === 'numeric' ? ('REAL' as const) : ('TEXT' as const) })),
    { name: 'prediction', sql: 'TEXT' },
    { name: 'confidence', sql: 'REAL' },
    { name: 'date', sql: 'TEXT' },
    { name: 'uuid', sql: 'TEXT' },
    { name: schema.target.name, sql: 'TEXT' },
  ];
}

declare const __SQLITE_WORKER_SOURCE__: string | undefined;

/**
 * The program of the worker thread, sqlite-worker.ts, as CommonJS source for
 * `new Worker(source, { eval: true })`. In the image bundle it is that file
 * compiled by scripts/build-image.ts and written into the bundle (esbuild
 * `define`), so rookery.mjs stays one file that needs only node_modules beside
 * it (the Dockerfile, the benchmark and the contract tests copy just that
 * file). From source (tsx, vitest, the `rookery` bin) it is two lines that
 * register tsx's require hook in the worker and load the .ts file: on Node 20
 * a worker does not get the ESM loader hooks tsx registers (not even with
 * `--import tsx` in its execArgv), while the require hook works in any thread.
 */
function workerSource(): string {
  if (typeof __SQLITE_WORKER_SOURCE__ === 'string') return __SQLITE_WORKER_SOURCE__;
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const worker = fileURLToPath(new URL('./sqlite-worker.ts', import.meta.url));
  return `require(${JSON.stringify(tsx)}).register();\nrequire(${JSON.stringify(worker)});\n`;
}

/**
 * Captures into SQLite, one table row per input row (the course's `data`
 * table): the features, prediction, confidence, date, uuid and an empty target
 * column. The database lives in a worker thread, so inserts never hold up the
 * event loop that answers requests; the main thread encodes each record into
 * bytes when it is queued and copies each batch into a buffer it shares with
 * the worker (no allocation per batch: buffers handed over one by one would
 * wait for the worker's garbage collector, tens of MB under load). WAL mode
 * lets labeling and monitoring read while the server writes. The database
 * opens on the first write, so a failed open is a failed write that the
 * batcher retries with its records kept.
 */
export class SqliteCaptureWriter implements BatchWriter {
  readonly description: string;
  private readonly worker: Worker;
  private readonly features: string[];
  /** Per feature, the categories encoded as indexes (TAG_KNOWN); undefined for numeric ones. */
  private readonly categories: (Map<string, number> | undefined)[];
  private readonly classes: Map<string, number>;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private shared: Uint8Array | undefined;
  private writing = false;
  private exited: Error | undefined;

  constructor(path: string, schema: Schema) {
    this.description = `sqlite:${path}`;
    this.features = schema.features.map((f) => f.name);
    this.categories = schema.features.map((f) => (f.type === 'categorical' ? knownIndex(f.categories) : undefined));
    this.classes = knownIndex(schema.target.classes);
    const setup: WorkerSetup = {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      columns: captureColumns(schema),
      table: CAPTURE_TABLE,
      features: this.features.length,
      known: [...schema.features.map((f) => (f.type === 'categorical' ? f.categories : [])), schema.target.classes, []],
    };
    // The worker only copies batches into SQLite: a small young generation keeps its share of the process's memory small.
    this.worker = new Worker(workerSource(), {
      eval: true,
      workerData: setup,
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 },
    });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.error) waiter?.reject(new Error(reply.error));
      else waiter?.resolve();
    });
    const fail = (err: Error) => {
      this.exited = err;
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the capture worker exited (code ${code})`)));
  }

  private send(request: Command): Promise<void> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    // Keep the process alive while a write is outstanding (a graceful stop waits for it), not otherwise.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } satisfies Request);
    });
  }

  /** The row count and time, then per row the features, prediction and confidence as tagged values (bytes.ts), categories and classes by index. */
  encode(r: CaptureRecord, out: ByteWriter): void {
    const { features, categories, classes } = this;
    out.u32(r.rows.length);
    out.f64(r.time.getTime());
    for (let i = 0; i < r.rows.length; i++) {
      const row = r.rows[i];
      for (let j = 0; j < features.length; j++) out.value(row[features[j]], categories[j]);
      out.value(r.predictions[i].prediction, classes);
      out.value(r.predictions[i].confidence);
    }
  }

  /** Copies the batch into the shared buffer (grown when too small); the batcher reuses `bytes` once this settles. */
  writeBatch(bytes: Uint8Array, count: number): Promise<void> {
    if (this.writing) return Promise.reject(new Error('SqliteCaptureWriter writes one batch at a time'));
    let grown: SharedArrayBuffer | undefined;
    if (!this.shared || this.shared.length < bytes.length) {
      grown = new SharedArrayBuffer(Math.max(bytes.length, SHARED_BYTES));
      this.shared = new Uint8Array(grown);
    }
    this.shared.set(bytes);
    this.writing = true;
    return this.send({ type: 'write', ...(grown ? { shared: grown } : {}), length: bytes.length, count }).finally(() => (this.writing = false));
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.send({ type: 'close' }).catch(() => {});
    await this.worker.terminate();
  }
}
