import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { CAPTURE_TABLE } from '../../container/capture/sqlite.ts';
import type { Dataset } from '../../model/dataset.ts';
import { UserError } from '../../model/user-error.ts';
import { rowKey, simulatedLabel, truthIndex, type LabelCounts } from './truth.ts';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** How long label and monitor wait for another process's lock on the capture database before saying it is locked. */
export const SQLITE_WAIT_MS = 5_000;

export function openSqlite(path: string, options: { readonly: boolean }): BetterSqlite3.Database {
  if (!existsSync(path)) throw new UserError(`no capture database at ${path}: start the server with capture on and send traffic first ('rookery traffic'), or pass the database 'npm start' captures to: --datastore sqlite:///.rookery/start/penguins.db`);
  if (statSync(path).isDirectory()) throw new UserError(`${path} is a folder, not a SQLite database: pass the database file (sqlite:///path/penguins.db), or file://${path} for JSON Lines captures in that folder`);
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  // A server may be writing a batch right now (it holds the lock for milliseconds): wait for it rather than fail.
  try {
    return new Database(path, { readonly: options.readonly, fileMustExist: true, timeout: SQLITE_WAIT_MS });
  } catch (err) {
    throw sqliteUserError(err, path);
  }
}

/** SQLite's errors about the file itself, as one line naming the problem and what to do; any other error unchanged. */
export function sqliteUserError(err: unknown, path: string): unknown {
  if ((err as Error)?.name !== 'SqliteError') return err;
  const code = String((err as { code?: unknown }).code ?? '');
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(`${path} is locked by another process (waited ${SQLITE_WAIT_MS / 1000} s): let the other writer finish (another 'rookery label', or a sqlite3 shell with an open transaction) and run this again`);
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new UserError(`${path} is not a SQLite capture database (corrupted, or another kind of file): pass the database 'rookery serve' captures to (--datastore sqlite:///path/penguins.db)`);
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
    return new UserError(`cannot open ${path} as a SQLite database (${(err as Error).message}): check that it is a capture database you may write, e.g. --datastore sqlite:///penguins.db`);
  }
  return new UserError(`cannot use ${path}: ${(err as Error).message}`);
}

export function tableColumns(db: BetterSqlite3.Database): Map<string, string> {
  const rows = db.prepare(`PRAGMA table_info(${quote(CAPTURE_TABLE)})`).all() as { name: string; type: string }[];
  return new Map(rows.map((r) => [r.name, r.type.toUpperCase()]));
}

export interface LabelOptions {
  accuracy: number;
  seed: number;
}

/**
 * Fills the target column of captured rows that have none, in one
 * transaction: the true class when the row's features equal a dataset row's,
 * otherwise a simulated label (see simulatedLabel). Labeled rows are never
 * touched, so a second run changes nothing.
 */
export function labelSqlite(path: string, data: Dataset, options: LabelOptions): LabelCounts {
  const schema = data.schema;
  const db = openSqlite(path, { readonly: false });
  try {
    const columns = tableColumns(db);
    if (columns.size === 0) throw new UserError(`${path} has no "${CAPTURE_TABLE}" table: send traffic with capture on first`);
    const target = schema.target.name;
    if (!columns.has(target)) throw new UserError(`${path}: the "${CAPTURE_TABLE}" table has no "${target}" column to write labels into; was it written by 'rookery serve'?`);
    const features = schema.features.map((f) => f.name);
    const select = [...features.map((f) => (columns.has(f) ? quote(f) : 'NULL')), columns.has('prediction') ? 'prediction' : 'NULL', columns.has('uuid') ? 'uuid' : 'NULL', 'rowid'];
    const truth = truthIndex(data);
    const classes = schema.target.classes;
    const counts: LabelCounts = { labeled: 0, fromDataset: 0, simulated: 0, alreadyLabeled: 0 };
    const update = db.prepare(`UPDATE ${quote(CAPTURE_TABLE)} SET ${quote(target)} = ? WHERE rowid = ? AND ${quote(target)} IS NULL`);
    const pending: (string | number)[] = [];
    db.transaction(() => {
      counts.alreadyLabeled = (db.prepare(`SELECT COUNT(*) FROM ${quote(CAPTURE_TABLE)} WHERE ${quote(target)} IS NOT NULL`).pluck().get() as number) ?? 0;
      const rows = db.prepare(`SELECT ${select.join(', ')} FROM ${quote(CAPTURE_TABLE)} WHERE ${quote(target)} IS NULL`).raw(true);
      for (const row of rows.iterate() as Iterable<unknown[]>) {
        const key = rowKey(schema, (f) => row[features.indexOf(f)] as string | number | null);
        const known = truth.get(key);
        const prediction = row[features.length] as string | null;
        const id = (row[features.length + 1] as string | null) ?? `rowid:${row[features.length + 2]}`;
        const label = known ?? simulatedLabel(id, prediction, classes, options.accuracy, options.seed);
        if (known) counts.fromDataset++;
        else counts.simulated++;
        pending.push(label, row[features.length + 2] as number);
      }
      // Updates wait until the scan is done: SQLite does not allow writing a table while a statement is reading it.
      for (let i = 0; i < pending.length; i += 2) counts.labeled += update.run(pending[i], pending[i + 1]).changes;
    }).immediate();
    return counts;
  } catch (err) {
    throw sqliteUserError(err, path);
  } finally {
    db.close();
  }
}
