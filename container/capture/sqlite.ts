import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Schema } from '../../model/schema.ts';
import { TAG_NULL, TAG_NUMBER, type ByteWriter } from './bytes.ts';
import type { BatchWriter, CaptureRecord } from './sink.ts';

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

interface WorkerSetup {
  driver: string;
  path: string;
  columns: { name: string; sql: string }[];
  table: string;
  /** Feature values per row in the encoding (SqliteCaptureWriter.encode). */
  features: number;
}

/** A write names `length` bytes at the start of the shared buffer, sent along only when it is new. */
type Command = { type: 'write'; shared?: SharedArrayBuffer; length: number; count: number } | { type: 'close' };
type Request = Command & { id: number };
type Reply = { id: number; error?: string };

/**
 * The worker's whole program, as CommonJS source: it runs with `eval: true`
 * and gets its settings from workerData. It is a string, not a function's
 * toString(), because tools that transform the project's TypeScript (tsx's
 * keepNames, a bundler's renaming) would leave references in a function body
 * that do not exist inside the worker.
 *
 * It decodes SqliteCaptureWriter.encode's bytes (tags from bytes.ts) from the
 * buffer it shares with the main thread and inserts up to ROWS_PER_INSERT rows
 * per statement, all of a batch in one transaction.
 */
const SQLITE_WORKER_SOURCE = `
const { parentPort, workerData: setup } = require('node:worker_threads');
const { randomUUID } = require('node:crypto');
const { mkdirSync } = require('node:fs');
const { dirname } = require('node:path');
const ROWS_PER_INSERT = 64;
const CACHE_KIB = 256;
const quote = (name) => '"' + name.replaceAll('"', '""') + '"';
// Inserted per row: the features, prediction, confidence, date and uuid; the target column stays NULL.
const width = setup.features + 4;
let db;
let statements;
let write;
let shared;

function statement(rows) {
  let s = statements.get(rows);
  if (!s) {
    const names = setup.columns.slice(0, width).map((c) => quote(c.name));
    const one = '(' + names.map(() => '?').join(', ') + ')';
    s = db.prepare('INSERT INTO ' + setup.table + ' (' + names.join(', ') + ') VALUES ' + new Array(rows).fill(one).join(', '));
    statements.set(rows, s);
  }
  return s;
}

function open() {
  mkdirSync(dirname(setup.path), { recursive: true });
  const Database = require(setup.driver);
  // A zero busy timeout: a locked database fails the write at once and the batcher retries it later.
  const handle = new Database(setup.path, { timeout: 0 });
  try {
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    // better-sqlite3 builds SQLite with a 16 MB page cache (SQLITE_DEFAULT_CACHE_SIZE=-16000), which fills as the
    // table grows; appending rows only needs the last pages of the table, so 256 KiB keeps the worker small.
    handle.pragma('cache_size = -' + CACHE_KIB);
    handle.exec('CREATE TABLE IF NOT EXISTS ' + setup.table + ' (' + setup.columns.map((c) => quote(c.name) + ' ' + c.sql).join(', ') + ')');
    db = handle;
    statements = new Map();
    statement(ROWS_PER_INSERT);
    const full = new Array(ROWS_PER_INSERT * width);
    write = handle.transaction((buf, count) => {
      let pos = 0;
      let n = 0;
      const value = () => {
        const tag = buf[pos++];
        if (tag === ${TAG_NULL}) return null;
        if (tag === ${TAG_NUMBER}) {
          pos += 8;
          return buf.readDoubleLE(pos - 8);
        }
        const length = buf.readUInt32LE(pos);
        pos += 4 + length;
        return buf.toString('utf8', pos - length, pos);
      };
      for (let r = 0; r < count; r++) {
        const rows = buf.readUInt32LE(pos);
        const date = new Date(buf.readDoubleLE(pos + 4)).toISOString();
        pos += 12;
        for (let i = 0; i < rows; i++) {
          const at = n * width;
          for (let j = 0; j < setup.features; j++) full[at + j] = value();
          full[at + setup.features] = value();
          full[at + setup.features + 1] = value();
          full[at + setup.features + 2] = date;
          full[at + setup.features + 3] = randomUUID();
          if (++n === ROWS_PER_INSERT) {
            statement(ROWS_PER_INSERT).run(full);
            n = 0;
          }
        }
      }
      if (pos !== buf.length) throw new Error('capture batch of ' + buf.length + ' bytes decoded to ' + pos);
      if (n > 0) statement(n).run(full.slice(0, n * width));
    });
  } catch (err) {
    db = undefined;
    handle.close();
    throw err;
  }
}

parentPort.on('message', (message) => {
  const reply = { id: message.id };
  try {
    if (message.type === 'write') {
      if (message.shared) shared = Buffer.from(message.shared);
      if (!db) open();
      write(shared.subarray(0, message.length), message.count);
    } else if (db) {
      db.close();
      db = undefined;
    }
  } catch (err) {
    reply.error = err.message;
  }
  parentPort.postMessage(reply);
  if (message.type === 'close') parentPort.close();
});
`;

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
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private shared: Uint8Array | undefined;
  private writing = false;
  private exited: Error | undefined;

  constructor(path: string, schema: Schema) {
    this.description = `sqlite:${path}`;
    this.features = schema.features.map((f) => f.name);
    const setup: WorkerSetup = {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      columns: captureColumns(schema),
      table: CAPTURE_TABLE,
      features: this.features.length,
    };
    // The worker only copies batches into SQLite: a small young generation keeps its share of the process's memory small.
    this.worker = new Worker(SQLITE_WORKER_SOURCE, {
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

  /** The row count and time, then per row the features, prediction and confidence as tagged values (bytes.ts). */
  encode(r: CaptureRecord, out: ByteWriter): void {
    out.u32(r.rows.length);
    out.f64(r.time.getTime());
    for (let i = 0; i < r.rows.length; i++) {
      const row = r.rows[i];
      for (const f of this.features) out.value(row[f]);
      out.value(r.predictions[i].prediction);
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
