import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { CAPTURE_TABLE } from '../../container/capture/sqlite.ts';
import type { Dataset } from '../../model/dataset.ts';
import { UserError } from '../../model/user-error.ts';
import { OccurrenceIds, rowKey, simulatedLabel, truthIndex, type LabelCounts, type LabelSource } from './truth.ts';

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

/** The column beside the target where `rookery label` records each label's source (LabelSource). */
export const LABEL_SOURCE_COLUMN = 'label_source';

/**
 * Fills the target column of captured rows that have none, in one
 * transaction: the true class when the row's features equal a dataset row's,
 * otherwise a simulated label (see simulatedLabel), and records which in
 * label_source (added to the table when missing). Labeled rows are never
 * touched, so a second run changes nothing; every row is read, in rowid order,
 * so each unlabeled row's identity (OccurrenceIds) is the same as it was in a
 * run that labeled everything at once.
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
    const select = [...features.map((f) => (columns.has(f) ? quote(f) : 'NULL')), columns.has('prediction') ? 'prediction' : 'NULL', quote(target), 'rowid'];
    const truth = truthIndex(data);
    const classes = schema.target.classes;
    const counts: LabelCounts = { labeled: 0, fromDataset: 0, simulated: 0, alreadyLabeled: 0 };
    const ids = new OccurrenceIds();
    const pending: [string, LabelSource, number][] = [];
    db.transaction(() => {
      if (!columns.has(LABEL_SOURCE_COLUMN)) db.exec(`ALTER TABLE ${quote(CAPTURE_TABLE)} ADD COLUMN ${quote(LABEL_SOURCE_COLUMN)} TEXT`);
      const update = db.prepare(`UPDATE ${quote(CAPTURE_TABLE)} SET ${quote(target)} = ?, ${quote(LABEL_SOURCE_COLUMN)} = ? WHERE rowid = ? AND ${quote(target)} IS NULL`);
      const rows = db.prepare(`SELECT ${select.join(', ')} FROM ${quote(CAPTURE_TABLE)} ORDER BY rowid`).raw(true);
      const f = features.length;
      for (const row of rows.iterate() as Iterable<unknown[]>) {
        const key = rowKey(schema, (name) => row[features.indexOf(name)] as string | number | null);
        const id = ids.next(key);
        if (row[f + 1] !== null) {
          counts.alreadyLabeled++;
          continue;
        }
        const known = truth.get(key);
        const label = known ?? simulatedLabel(id, row[f] as string | null, classes, options.accuracy, options.seed);
        if (known) counts.fromDataset++;
        else counts.simulated++;
        pending.push([label, known ? 'dataset' : 'simulated', row[f + 2] as number]);
      }
      // Updates wait until the scan is done: SQLite does not allow writing a table while a statement is reading it.
      for (const [label, source, rowid] of pending) counts.labeled += update.run(label, source, rowid).changes;
    }).immediate();
    return counts;
  } catch (err) {
    throw sqliteUserError(err, path);
  } finally {
    db.close();
  }
}
