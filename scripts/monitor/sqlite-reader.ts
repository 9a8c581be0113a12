import { existsSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { parseCaptureUri } from '../../container/capture/open.ts';
import { CAPTURE_TABLE } from '../../container/capture/sqlite.ts';
import type { Schema } from '../../model/schema.ts';
import { UserError } from '../../model/user-error.ts';
import { LABEL_SOURCE_COLUMN, openSqlite, sqliteUserError, tableColumns } from '../label/sqlite.ts';
import { decodeTable } from './sqlite-decode.ts';
import { openPages, UnsupportedLayout } from './sqlite-file.ts';
import { ColumnBuilder, labelSourceCode, noCapturesError, type CaptureColumns, type CaptureReader, type ReadOptions } from './capture-reader.ts';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The SQLite capture table (`rookery serve` with sqlite:///…). The whole
 * table is decoded from the database file and its WAL directly
 * (sqlite-decode.ts), inside a read transaction; with `samples`, or a layout
 * that decoder does not read, one statement streams the wanted columns
 * instead, SQLite keeping only the newest rows (ORDER BY date DESC LIMIT N).
 */
export class SqliteCaptureReader implements CaptureReader {
  readonly path: string;
  /** How the last read went: decoded from the file, or through SQLite (a limit, or a layout the decoder does not read). */
  readFrom: 'file' | 'sqlite' | undefined;

  constructor(readonly uri: string) {
    const location = parseCaptureUri(uri);
    if (location.kind !== 'sqlite') throw new UserError(`${uri} is not a sqlite:/// location`, { exitCode: 2 });
    this.path = location.path;
  }

  async read(schema: Schema, options: ReadOptions): Promise<CaptureColumns> {
    if (!existsSync(this.path)) throw noCapturesError(this.uri);
    const db = openSqlite(this.path, { readonly: true });
    try {
      // One read transaction for everything below: the WAL snapshot it holds keeps a checkpoint from rewriting pages while the file is read directly.
      db.exec('BEGIN');
      const columns = tableColumns(db);
      if (columns.size === 0) throw noCapturesError(this.uri);
      const features = schema.features.map((f) => f.name);
      const total = db.prepare(`SELECT COUNT(*) FROM ${quote(CAPTURE_TABLE)}`).pluck().get() as number;
      if (total === 0) throw noCapturesError(this.uri);
      const limit = options.samples !== undefined && options.samples < total ? options.samples : undefined;
      const fromFile = limit === undefined ? this.fromFile(db, schema, columns, total) : undefined;
      this.readFrom = fromFile ? 'file' : 'sqlite';
      const builder = fromFile ?? this.throughSqlite(db, schema, columns, limit, total);
      return builder.finish(`sqlite:${this.path}`, { missingColumns: features.filter((c) => !columns.has(c)) });
    } catch (err) {
      throw sqliteUserError(err, this.path);
    } finally {
      db.close();
    }
  }

  /** The table decoded from the database file and its WAL (sqlite-decode.ts); undefined when its layout needs SQLite itself. */
  private fromFile(db: BetterSqlite3.Database, schema: Schema, columns: Map<string, string>, total: number): ColumnBuilder | undefined {
    const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(CAPTURE_TABLE);
    if (typeof root !== 'number' || root < 1) return undefined;
    const names = [...columns.keys()];
    const at = (c: string) => names.indexOf(c);
    const layout = { features: schema.features.map((f) => at(f.name)), prediction: at('prediction'), confidence: at('confidence'), label: at(schema.target.name), date: at('date'), labelSource: at(LABEL_SOURCE_COLUMN) };
    try {
      return decodeTable(openPages(this.path), root, layout, schema, total);
    } catch (err) {
      if (err instanceof UnsupportedLayout) return undefined;
      throw err;
    }
  }

  /** The table through SQLite: every row in storage order, or with a limit, the newest rows (ORDER BY date DESC LIMIT N, a bounded sort). */
  private throughSqlite(db: BetterSqlite3.Database, schema: Schema, columns: Map<string, string>, limit: number | undefined, total: number): ColumnBuilder {
    const features = schema.features.map((f) => f.name);
    const has = (c: string) => columns.has(c);
    const select = [...features, 'prediction', 'confidence', schema.target.name, 'date', LABEL_SOURCE_COLUMN].map((c) => (has(c) ? quote(c) : 'NULL'));
    const order = limit !== undefined ? ` ORDER BY ${has('date') ? 'date DESC, ' : ''}rowid DESC LIMIT ${limit}` : '';
    const statement = db.prepare(`SELECT ${select.join(', ')} FROM ${quote(CAPTURE_TABLE)}${order}`).raw(true);
    const builder = new ColumnBuilder(schema, { capacity: limit ?? total });
    const f = features.length;
    let lastDate: unknown;
    let lastTime = Number.NaN;
    for (const row of statement.iterate() as Iterable<unknown[]>) {
      const date = row[f + 3];
      if (date !== lastDate) {
        lastDate = date;
        lastTime = typeof date === 'string' ? Date.parse(date) : Number.NaN;
      }
      const prediction = row[f];
      const label = row[f + 2];
      const i = builder.add(typeof prediction === 'string' ? prediction : null, typeof row[f + 1] === 'number' ? (row[f + 1] as number) : null, typeof label === 'string' ? label : null, lastTime, undefined, labelSourceCode(row[f + 4]));
      for (let k = 0; k < f; k++) builder.set(i, k, row[k]);
    }
    return builder;
  }
}
