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
import { TAG_KNOWN, TAG_NULL, TAG_NUMBER } from './bytes.ts';
import { ISO_DATE_BYTES, writeIsoDate } from './iso-date.ts';

export interface WorkerSetup {
  /** better-sqlite3's resolved entry, loaded on the first write (a driver that fails to load is a failed, retried write). */
  driver: string;
  path: string;
  columns: { name: string; sql: string }[];
  table: string;
  /** Feature values per row in the encoding (SqliteCaptureWriter.encode). */
  features: number;
  /** Per encoded value of a row (the features, the prediction, the confidence), the strings TAG_KNOWN indexes. */
  known: string[][];
}

/** A write names `length` bytes at the start of the shared buffer, sent along only when it is new. */
export type Command = { type: 'write'; shared?: SharedArrayBuffer; length: number; count: number } | { type: 'close' };
export type Request = Command & { id: number };
export type Reply = { id: number; error?: string };

/** Text columns are bound as UTF-8 bytes (see CaptureTable), numeric ones as numbers. */
type Value = Buffer | number | null;

const ROWS_PER_INSERT = 64;
const CACHE_KIB = 256;

/** Random bytes for this many row uuids are drawn at once. */
const UUIDS_PER_FILL = 256;
const UUID_BYTES = 36;
/** Where the two hex digits of each of a uuid's 16 bytes go in its text; dashes fill the gaps. */
const UUID_DIGITS_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** Each byte value's two lowercase hex digits as one big-endian uint16, written with a single store. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, b) => {
  const digit = (d: number) => (d < 10 ? 48 + d : 87 + d);
  return (digit(b >> 4) << 8) | digit(b & 15);
});

/**
 * Fixed-width text, one slot per row of an INSERT, written in place into one
 * buffer and bound through views made once: a row's uuid or date then costs
 * neither a string nor an allocation. A slot may be rewritten once its
 * statement has run (better-sqlite3 copies what it binds).
 */
class TextSlots {
  readonly bytes: Buffer;
  readonly data: DataView;
  private readonly views: Buffer[];

  constructor(
    readonly width: number,
    slots: number,
  ) {
    this.bytes = Buffer.allocUnsafeSlow(width * slots);
    this.data = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.views = Array.from({ length: slots }, (_, k) => this.bytes.subarray(k * width, (k + 1) * width));
  }

  view(slot: number): Buffer {
    return this.views[slot];
  }
}

/**
 * Version 4 UUIDs from random bytes drawn UUIDS_PER_FILL at a time, written as
 * text into a row's slot, whose dashes are written once: randomUUID() cost
 * each row about 2,000 instructions (a string built by concatenation,
 * flattened again when bound), a digit-by-digit loop about 1,000.
 */
class UuidSource {
  private readonly random = Buffer.allocUnsafeSlow(16 * UUIDS_PER_FILL);
  private readonly slots = new TextSlots(UUID_BYTES, ROWS_PER_INSERT);
  private next = UUIDS_PER_FILL;

  constructor() {
    for (let slot = 0; slot < ROWS_PER_INSERT; slot++) for (const at of [8, 13, 18, 23]) this.slots.bytes[slot * UUID_BYTES + at] = 45;
  }

  /** A new uuid in the statement's row `slot`. */
  take(slot: number): Buffer {
    if (this.next === UUIDS_PER_FILL) {
      randomFillSync(this.random);
      this.next = 0;
    }
    const r = this.random;
    const o = 16 * this.next++;
    r[o + 6] = (r[o + 6] & 0x0f) | 0x40;
    r[o + 8] = (r[o + 8] & 0x3f) | 0x80;
    const text = this.slots.data;
    const base = slot * UUID_BYTES;
    for (let i = 0; i < 16; i++) text.setUint16(base + UUID_DIGITS_AT[i], HEX_PAIRS[r[o + i]]);
    return this.slots.view(slot);
  }
}

/** The dates of one INSERT's records, each written once however many of its rows the statement holds. */
class DateSlots {
  private readonly slots = new TextSlots(ISO_DATE_BYTES, ROWS_PER_INSERT);
  private used = 0;

  /** The date of a record's time (ms since the epoch), in a slot of its own. */
  put(ms: number): Buffer {
    if (!writeIsoDate(this.slots.data, this.used * ISO_DATE_BYTES, ms)) return Buffer.from(new Date(ms).toISOString(), 'latin1');
    return this.slots.view(this.used++);
  }

  /** The statement has run: its slots can be reused. */
  clear(): void {
    this.used = 0;
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * One open database: its INSERT statements by row count, and the batch
 * transaction. Text goes in as UTF-8 bytes, `CAST(? AS TEXT)`: better-sqlite3
 * binds a Buffer with one copy, while a string is first made from the bytes
 * here, then converted back to UTF-8 and copied (callgrind: about 500
 * instructions per value). The schema's categories and classes are Buffers
 * made once (TAG_KNOWN), other strings views into the batch's bytes.
 */
class CaptureTable {
  private readonly statements = new Map<number, BetterSqlite3.Statement>();
  /** Inserted per row: the features, prediction, confidence, date and uuid; the target column stays NULL. */
  private readonly width: number;
  /** One INSERT's parameters, reused for every full statement of every batch. */
  private readonly full: Value[];
  /** Per encoded value of a row, the bytes of the strings TAG_KNOWN indexes. */
  private readonly known: Buffer[][];
  private readonly uuids = new UuidSource();
  private readonly dates = new DateSlots();
  readonly write: (buf: Buffer, count: number) => void;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly setup: WorkerSetup,
  ) {
    this.width = setup.features + 4;
    this.full = new Array<Value>(ROWS_PER_INSERT * this.width).fill(null);
    this.known = setup.known.map((values) => values.map((v) => Buffer.from(v, 'utf8')));
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
      const columns = this.setup.columns.slice(0, this.width);
      const one = `(${columns.map((c) => (c.sql === 'TEXT' ? 'CAST(? AS TEXT)' : '?')).join(', ')})`;
      s = this.db.prepare(`INSERT INTO ${this.setup.table} (${columns.map((c) => quote(c.name)).join(', ')}) VALUES ${new Array(rows).fill(one).join(', ')}`);
      this.statements.set(rows, s);
    }
    return s;
  }

  /** Decodes `count` records from `buf` into rows, ROWS_PER_INSERT per statement. */
  private insert(buf: Buffer, count: number): void {
    const { features } = this.setup;
    const { full, width, known } = this;
    let pos = 0;
    let n = 0;
    // A statement that threw (a locked database) left its slots taken; the retry of the batch starts afresh.
    this.dates.clear();
    const value = (j: number): Value => {
      const tag = buf[pos++];
      if (tag === TAG_NULL) return null;
      if (tag === TAG_NUMBER) {
        pos += 8;
        return buf.readDoubleLE(pos - 8);
      }
      if (tag === TAG_KNOWN) return known[j][buf[pos++]];
      const length = buf.readUInt32LE(pos);
      pos += 4 + length;
      return buf.subarray(pos - length, pos);
    };
    for (let r = 0; r < count; r++) {
      const rows = buf.readUInt32LE(pos);
      const time = buf.readDoubleLE(pos + 4);
      pos += 12;
      let date: Buffer | undefined;
      for (let i = 0; i < rows; i++) {
        const at = n * width;
        for (let j = 0; j < features + 2; j++) full[at + j] = value(j);
        full[at + features + 2] = date ??= this.dates.put(time);
        full[at + features + 3] = this.uuids.take(n);
        if (++n === ROWS_PER_INSERT) {
          // Spread, not the array: better-sqlite3 reads an array parameter element by element through V8's
          // generic property lookup, a quarter of the worker's instructions (callgrind) that arguments do not cost.
          this.statement(ROWS_PER_INSERT).run(...full);
          n = 0;
          this.dates.clear();
          date = undefined;
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
