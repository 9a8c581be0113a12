// The SQLite capture writer's worker thread, started by SqliteCaptureWriter
// (sqlite.ts, whose workerSource says how, from source and in the bundle). It decodes
// SqliteCaptureWriter.encode's bytes (tags from bytes.ts) from the buffer it
// shares with the main thread and inserts up to ROWS_PER_INSERT rows per
// statement, all of a batch in one transaction.
//
// It runs as CommonJS either way (compiled into the bundle, or through tsx's
// require hook), so it uses neither import.meta nor top-level await: the driver arrives as an absolute
// path in workerData and is loaded with a require made from that path.
import type BetterSqlite3 from 'better-sqlite3';
import { randomFillSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { TAG_NULL, TAG_NUMBER } from './bytes.ts';

export interface WorkerSetup {
  /** better-sqlite3's resolved entry, loaded on the first write (a driver that fails to load is a failed, retried write). */
  driver: string;
  path: string;
  columns: { name: string; sql: string }[];
  table: string;
  /** Feature values per row in the encoding (SqliteCaptureWriter.encode). */
  features: number;
}

/** A write names `length` bytes at the start of the shared buffer, sent along only when it is new. */
export type Command = { type: 'write'; shared?: SharedArrayBuffer; length: number; count: number } | { type: 'close' };
export type Request = Command & { id: number };
export type Reply = { id: number; error?: string };

type Value = string | number | null;

const ROWS_PER_INSERT = 64;
const CACHE_KIB = 256;

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Random bytes for this many row uuids are drawn at once. */
const UUIDS_PER_FILL = 256;

/**
 * Version 4 UUIDs from random bytes drawn UUIDS_PER_FILL at a time, written as
 * text into a reused buffer: randomUUID() cost each row about 2,000
 * instructions (a string built by concatenation, flattened again when bound).
 */
class UuidSource {
  private readonly random = Buffer.allocUnsafeSlow(16 * UUIDS_PER_FILL);
  private readonly text = Buffer.allocUnsafeSlow(36);
  private next = UUIDS_PER_FILL;

  take(): string {
    if (this.next === UUIDS_PER_FILL) {
      randomFillSync(this.random);
      this.next = 0;
    }
    const r = this.random;
    const o = 16 * this.next++;
    r[o + 6] = (r[o + 6] & 0x0f) | 0x40;
    r[o + 8] = (r[o + 8] & 0x3f) | 0x80;
    let p = 0;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) this.text[p++] = 45;
      this.text[p++] = HEX[r[o + i] >> 4];
      this.text[p++] = HEX[r[o + i] & 15];
    }
    return this.text.toString('latin1', 0, 36);
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** One open database: its INSERT statements by row count, and the batch transaction. */
class CaptureTable {
  private readonly statements = new Map<number, BetterSqlite3.Statement>();
  /** Inserted per row: the features, prediction, confidence, date and uuid; the target column stays NULL. */
  private readonly width: number;
  /** One INSERT's parameters, reused for every full statement of every batch. */
  private readonly full: Value[];
  private readonly uuids = new UuidSource();
  readonly write: (buf: Buffer, count: number) => void;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly setup: WorkerSetup,
  ) {
    this.width = setup.features + 4;
    this.full = new Array<Value>(ROWS_PER_INSERT * this.width);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // better-sqlite3 builds SQLite with a 16 MB page cache (SQLITE_DEFAULT_CACHE_SIZE=-16000), which fills as the
    // table grows; appending rows only needs the last pages of the table, so 256 KiB keeps the worker small.
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${setup.table} (${setup.columns.map((c) => `${quote(c.name)} ${c.sql}`).join(', ')})`);
    this.statement(ROWS_PER_INSERT);
    this.write = db.transaction((buf: Buffer, count: number) => this.insert(buf, count));
  }

  close(): void {
    this.db.close();
  }

  private statement(rows: number): BetterSqlite3.Statement {
    let s = this.statements.get(rows);
    if (!s) {
      const names = this.setup.columns.slice(0, this.width).map((c) => quote(c.name));
      const one = `(${names.map(() => '?').join(', ')})`;
      s = this.db.prepare(`INSERT INTO ${this.setup.table} (${names.join(', ')}) VALUES ${new Array(rows).fill(one).join(', ')}`);
      this.statements.set(rows, s);
    }
    return s;
  }

  /** Decodes `count` records from `buf` into rows, ROWS_PER_INSERT per statement. */
  private insert(buf: Buffer, count: number): void {
    const { features } = this.setup;
    const { full, width } = this;
    let pos = 0;
    let n = 0;
    const value = (): Value => {
      const tag = buf[pos++];
      if (tag === TAG_NULL) return null;
      if (tag === TAG_NUMBER) {
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
        for (let j = 0; j < features; j++) full[at + j] = value();
        full[at + features] = value();
        full[at + features + 1] = value();
        full[at + features + 2] = date;
        full[at + features + 3] = this.uuids.take();
        if (++n === ROWS_PER_INSERT) {
          // Spread, not the array: better-sqlite3 reads an array parameter element by element through V8's
          // generic property lookup, a quarter of the worker's instructions (callgrind) that arguments do not cost.
          this.statement(ROWS_PER_INSERT).run(...full);
          n = 0;
        }
      }
    }
    if (pos !== buf.length) throw new Error(`capture batch of ${buf.length} bytes decoded to ${pos}`);
    if (n > 0) this.statement(n).run(...full.slice(0, n * width));
  }
}

function open(setup: WorkerSetup): CaptureTable {
  mkdirSync(dirname(setup.path), { recursive: true });
  const Database = createRequire(setup.driver)(setup.driver) as typeof BetterSqlite3;
  // A zero busy timeout: a locked database fails the write at once and the batcher retries it later.
  const handle = new Database(setup.path, { timeout: 0 });
  try {
    return new CaptureTable(handle, setup);
  } catch (err) {
    handle.close();
    throw err;
  }
}

/** Answers each request in order; the database opens on the first write. */
function serve(port: NonNullable<typeof parentPort>, setup: WorkerSetup): void {
  let table: CaptureTable | undefined;
  let shared: Buffer | undefined;
  port.on('message', (message: Request) => {
    const reply: Reply = { id: message.id };
    try {
      if (message.type === 'write') {
        if (message.shared) shared = Buffer.from(message.shared);
        table ??= open(setup);
        table.write(shared!.subarray(0, message.length), message.count);
      } else if (table) {
        table.close();
        table = undefined;
      }
    } catch (err) {
      reply.error = (err as Error).message;
    }
    port.postMessage(reply);
    if (message.type === 'close') port.close();
  });
}

if (!parentPort) throw new Error('sqlite-worker.ts runs as a worker thread of SqliteCaptureWriter (capture/sqlite.ts)');
serve(parentPort, workerData as WorkerSetup);
