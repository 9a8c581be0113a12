import { existsSync } from 'node:fs';
import { parseCaptureUri } from '../../container/capture/open.ts';
import { CAPTURE_TABLE } from '../../container/capture/sqlite.ts';
import type { Schema } from '../../model/schema.ts';
import { UserError } from '../../model/user-error.ts';
import { LABEL_SOURCE_COLUMN, openSqlite, sqliteUserError, tableColumns } from '../label/sqlite.ts';
import { ColumnBuilder, labelSourceCode, noCapturesError, type CaptureColumns, type CaptureReader, type ReadOptions } from './capture-reader.ts';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The SQLite capture table (`rookery serve` with sqlite:///…). One statement
 * streams the wanted columns as raw arrays straight into typed columns; with
 * `samples`, SQLite keeps only the newest rows (ORDER BY date DESC LIMIT N)
 * with a bounded sort, otherwise the table is read in storage order.
 */
export class SqliteCaptureReader implements CaptureReader {
  readonly path: string;

  constructor(readonly uri: string) {
    const location = parseCaptureUri(uri);
    if (location.kind !== 'sqlite') throw new UserError(`${uri} is not a sqlite:/// location`, { exitCode: 2 });
    this.path = location.path;
  }

  async read(schema: Schema, options: ReadOptions): Promise<CaptureColumns> {
    if (!existsSync(this.path)) throw noCapturesError(this.uri);
    const db = openSqlite(this.path, { readonly: true });
    try {
      const columns = tableColumns(db);
      if (columns.size === 0) throw noCapturesError(this.uri);
      const features = schema.features.map((f) => f.name);
      const has = (c: string) => columns.has(c);
      const select = [...features, 'prediction', 'confidence', schema.target.name, 'date', LABEL_SOURCE_COLUMN].map((c) => (has(c) ? quote(c) : 'NULL'));
      const total = db.prepare(`SELECT COUNT(*) FROM ${quote(CAPTURE_TABLE)}`).pluck().get() as number;
      if (total === 0) throw noCapturesError(this.uri);
      const limit = options.samples !== undefined && options.samples < total ? options.samples : undefined;
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
      return builder.finish(`sqlite:${this.path}`, { missingColumns: features.filter((c) => !has(c)) });
    } catch (err) {
      throw sqliteUserError(err, this.path);
    } finally {
      db.close();
    }
  }
}
