import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Schema } from '../../model/schema.ts';
import type { BatchWriter, CaptureRecord } from './sink.ts';

export const CAPTURE_TABLE = 'data';

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
  /** Values per row the main thread sends: the features, prediction, confidence and date. */
  sent: number;
}

type Command = { type: 'write'; values: (string | number | null)[] } | { type: 'close' };
type Request = Command & { id: number };
type Reply = { id: number; error?: string };

/**
 * The worker's whole program, as CommonJS source: it runs with `eval: true`
 * and gets its settings from workerData. It is a string, not a function's
 * toString(), because tools that transform the project's TypeScript (tsx's
 * keepNames, a bundler's renaming) would leave references in a function body
 * that do not exist inside the worker.
 */
const SQLITE_WORKER_SOURCE = `
const { parentPort, workerData: setup } = require('node:worker_threads');
const { randomUUID } = require('node:crypto');
const { mkdirSync } = require('node:fs');
const { dirname } = require('node:path');
const quote = (name) => '"' + name.replaceAll('"', '""') + '"';
let db;
let write;

function open() {
  mkdirSync(dirname(setup.path), { recursive: true });
  const Database = require(setup.driver);
  // A zero busy timeout: a locked database fails the write at once and the batcher retries it later.
  const handle = new Database(setup.path, { timeout: 0 });
  try {
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    const names = setup.columns.map((c) => quote(c.name));
    handle.exec('CREATE TABLE IF NOT EXISTS ' + setup.table + ' (' + setup.columns.map((c) => quote(c.name) + ' ' + c.sql).join(', ') + ')');
    const insert = handle.prepare('INSERT INTO ' + setup.table + ' (' + names.join(', ') + ') VALUES (' + names.map(() => '?').join(', ') + ')');
    const row = new Array(setup.columns.length).fill(null);
    write = handle.transaction((values) => {
      for (let at = 0; at < values.length; at += setup.sent) {
        for (let j = 0; j < setup.sent; j++) row[j] = values[at + j];
        row[setup.sent] = randomUUID();
        insert.run(row);
      }
    });
    db = handle;
  } catch (err) {
    handle.close();
    throw err;
  }
}

parentPort.on('message', (message) => {
  const reply = { id: message.id };
  try {
    if (message.type === 'write') {
      if (!db) open();
      write(message.values);
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
 * event loop that answers requests; the main thread only flattens each batch
 * into an array of values. WAL mode lets labeling and monitoring read while
 * the server writes. The database opens on the first write, so a failed open
 * is a failed write that the batcher retries with its records kept.
 */
type Values = (string | number | null)[];

export class SqliteCaptureWriter implements BatchWriter<Values> {
  readonly description: string;
  private readonly worker: Worker;
  private readonly features: string[];
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private exited: Error | undefined;

  constructor(path: string, schema: Schema) {
    this.description = `sqlite:${path}`;
    this.features = schema.features.map((f) => f.name);
    const setup: WorkerSetup = {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      columns: captureColumns(schema),
      table: CAPTURE_TABLE,
      sent: this.features.length + 3,
    };
    // The worker only copies batches into SQLite: a small young generation keeps its share of the process's memory small.
    this.worker = new Worker(SQLITE_WORKER_SOURCE, {
      eval: true,
      workerData: setup,
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
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
      this.worker.postMessage({ ...request, id });
    });
  }

  /** A record's table rows as one flat list: the features, prediction, confidence and date of each row. */
  encode(r: CaptureRecord): Values {
    const values: Values = [];
    const date = r.time.toISOString();
    for (let i = 0; i < r.rows.length; i++) {
      const row = r.rows[i];
      for (const f of this.features) values.push(row[f] ?? null);
      values.push(r.predictions[i].prediction, r.predictions[i].confidence, date);
    }
    return values;
  }

  writeBatch(items: Values[]): Promise<void> {
    return this.send({ type: 'write', values: items.length === 1 ? items[0] : items.flat() });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.send({ type: 'close' }).catch(() => {});
    await this.worker.terminate();
  }
}
