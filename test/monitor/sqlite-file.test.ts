// The capture table decoded straight from the SQLite file and its WAL
// (scripts/monitor/sqlite-decode.ts) against what SQLite itself returns for
// the same rows: every value type the format stores, rows over several
// b-tree levels, a column added after rows were written, committed pages
// still in the WAL, and a row on overflow pages (read through SQLite instead).
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPTURE_TABLE, captureColumns } from '../../container/capture/sqlite.ts';
import { LABEL_SOURCE_COLUMN } from '../../scripts/label/sqlite.ts';
import { labelSourceCode, type CaptureColumns } from '../../scripts/monitor/capture-reader.ts';
import { openPages } from '../../scripts/monitor/sqlite-file.ts';
import { SqliteCaptureReader } from '../../scripts/monitor/sqlite-reader.ts';
import { createRandom } from '../../model/random.ts';
import { schema, scratch } from './fixtures.ts';

const columns = captureColumns(schema);
const quote = (c: string) => `"${c}"`;
const ISLANDS = ['Biscoe', 'Dream', 'Torgersen', 'Bíscoe ✓'];

/** A row of every kind of cell: floats, whole numbers (SQLite stores them as integers), NULLs, text in a numeric column, a blob in a text one. */
function row(i: number, random: () => number): unknown[] {
  const pick = random();
  return columns.map((c) => {
    if (c.name === 'date') return new Date(Date.UTC(2025, 0, 1) + Math.floor(i / 10) * 1000).toISOString();
    if (c.name === 'uuid') return `id-${i}`;
    if (c.name === 'prediction') return ['Adelie', 'Gentoo', 'Chinstrap'][i % 3];
    if (c.name === 'species') return i % 4 === 0 ? 'Adelie' : null;
    if (c.name === 'confidence') return i % 50 === 0 ? null : random();
    if (c.sql === 'REAL') return pick < 0.05 ? null : pick < 0.08 ? 'n/a' : pick < 0.3 ? Math.round(random() * 300) - 20 : pick < 0.31 ? 2 ** 40 + i : random() * 6000;
    return pick < 0.05 ? null : pick < 0.07 ? Buffer.from([1, 2, 3]) : ISLANDS[i % ISLANDS.length];
  });
}

function createTable(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec(`CREATE TABLE ${CAPTURE_TABLE} (${columns.map((c) => `${quote(c.name)} ${c.sql}`).join(', ')})`);
  return db;
}

function insert(db: Database.Database, from: number, to: number, seed: number): void {
  const statement = db.prepare(`INSERT INTO ${CAPTURE_TABLE} VALUES (${columns.map(() => '?').join(', ')})`);
  const random = createRandom(seed);
  db.transaction(() => {
    for (let i = from; i < to; i++) statement.run(...row(i, random));
  })();
}

/** What the reader should hold, row by row, from SQLite's own answer. */
function expected(path: string): Partial<CaptureColumns> {
  const db = new Database(path, { readonly: true });
  const hasSource = (db.prepare(`PRAGMA table_info(${CAPTURE_TABLE})`).all() as { name: string }[]).some((c) => c.name === LABEL_SOURCE_COLUMN);
  const rows = db.prepare(`SELECT *${hasSource ? '' : ', NULL AS label_source'} FROM ${CAPTURE_TABLE} ORDER BY rowid`).all() as Record<string, unknown>[];
  db.close();
  const out: Record<string, Float64Array | (string | null)[]> = {};
  for (const f of schema.features) out[f.name] = f.type === 'numeric' ? Float64Array.from(rows, (r) => (typeof r[f.name] === 'number' ? (r[f.name] as number) : Number.NaN)) : rows.map((r) => (typeof r[f.name] === 'string' ? (r[f.name] as string) : null));
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    size: rows.length,
    columns: out,
    prediction: rows.map((r) => text(r.prediction)),
    confidence: Float64Array.from(rows, (r) => (typeof r.confidence === 'number' ? r.confidence : Number.NaN)),
    label: rows.map((r) => text(r.species)),
    labelSource: Uint8Array.from(rows, (r) => (typeof r.species === 'string' ? labelSourceCode(r.label_source) : 0)),
    time: Float64Array.from(rows, (r) => Date.parse(r.date as string)),
  };
}

async function read(path: string, from: 'file' | 'sqlite' = 'file'): Promise<CaptureColumns> {
  const reader = new SqliteCaptureReader(`sqlite:///${path}`);
  const columns = await reader.read(schema, {});
  expect(reader.readFrom).toBe(from);
  return columns;
}

describe('the capture table read from the SQLite file', () => {
  it('holds what SQLite returns, over a multi-level b-tree, with a column added after the first rows', async () => {
    const path = join(scratch(), 'captures.db');
    const db = createTable(path);
    insert(db, 0, 20_000, 1);
    db.exec(`ALTER TABLE ${CAPTURE_TABLE} ADD COLUMN ${LABEL_SOURCE_COLUMN} TEXT`);
    db.exec(`UPDATE ${CAPTURE_TABLE} SET ${LABEL_SOURCE_COLUMN} = CASE WHEN rowid % 8 = 0 THEN 'simulated' ELSE 'dataset' END WHERE species IS NOT NULL AND rowid < 5000`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const pages = openPages(path);
    expect(pages.pageSize).toBe(4096);
    pages.close();
    const got = await read(path);
    expect(got).toMatchObject(expected(path));
    const text = (c: CaptureColumns) => Object.values(c.typeMismatches).reduce((a, b) => a + b, 0);
    expect(text(got)).toBeGreaterThan(0);
  });

  it('sees committed rows and updates that are still only in the WAL', async () => {
    const path = join(scratch(), 'captures.db');
    const db = createTable(path);
    insert(db, 0, 3_000, 2);
    db.pragma('wal_checkpoint(TRUNCATE)');
    insert(db, 3_000, 6_000, 3);
    db.exec(`UPDATE ${CAPTURE_TABLE} SET species = 'Gentoo' WHERE rowid % 7 = 0`);
    // The writer stays open: nothing is checkpointed, the new pages are in captures.db-wal only.
    const got = await read(path);
    expect(got.size).toBe(6_000);
    expect(got).toMatchObject(expected(path));
    db.close();
  });

  it('reads a table with a row on overflow pages through SQLite, with the same result', async () => {
    const path = join(scratch(), 'captures.db');
    const db = createTable(path);
    insert(db, 0, 500, 4);
    db.prepare(`UPDATE ${CAPTURE_TABLE} SET uuid = ? WHERE rowid = 10`).run('x'.repeat(20_000));
    db.close();
    expect(await read(path, 'sqlite')).toMatchObject(expected(path));
  });
});
