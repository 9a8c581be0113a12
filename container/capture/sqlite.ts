import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
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

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Captures into SQLite, one table row per input row (the course's `data`
 * table): the features, prediction, confidence, date, uuid and an empty target
 * column. WAL mode lets labeling and monitoring read while the server writes;
 * a zero busy timeout makes a locked database fail fast, so the batcher
 * retries later instead of blocking the event loop.
 */
export class SqliteCaptureWriter implements BatchWriter {
  readonly description: string;
  private readonly db: BetterSqlite3.Database;
  private readonly insert: BetterSqlite3.Statement;
  private readonly insertMany: (records: CaptureRecord[]) => void;

  constructor(path: string, schema: Schema) {
    this.description = `sqlite:${path}`;
    mkdirSync(dirname(path), { recursive: true });
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    // timeout 0 from the start: better-sqlite3's default (5 s) would block the event loop on a locked database while opening.
    this.db = new Database(path, { timeout: 0 });
    const columns = captureColumns(schema);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${CAPTURE_TABLE} (${columns.map((c) => `${quote(c.name)} ${c.sql}`).join(', ')})`);
      this.insert = this.db.prepare(
        `INSERT INTO ${CAPTURE_TABLE} (${columns.map((c) => quote(c.name)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
    } catch (err) {
      // Opening is retried later (see open.ts): don't leak this handle, nor hold its locks.
      this.db.close();
      throw err;
    }
    const features = schema.features.map((f) => f.name);
    this.insertMany = this.db.transaction((records: CaptureRecord[]) => {
      for (const r of records) {
        const date = r.time.toISOString();
        for (let i = 0; i < r.rows.length; i++) {
          const row = r.rows[i];
          this.insert.run(...features.map((f) => row[f] ?? null), r.predictions[i].prediction, r.predictions[i].confidence, date, randomUUID(), null);
        }
      }
    });
  }

  writeBatch(records: CaptureRecord[]): void {
    this.insertMany(records);
  }

  close(): void {
    this.db.close();
  }
}
