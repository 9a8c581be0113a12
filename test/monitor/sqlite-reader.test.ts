// Reading the SQLite capture table into columns: all rows or the most recent
// N, stores with absent columns or wrongly typed values, and stores with
// nothing to read (a clear one-line message and exit status 2, no crash).
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../scripts/cli.ts';
import { UserError } from '../../model/user-error.ts';
import { commands } from '../../scripts/commands/index.ts';
import { SqliteCaptureReader } from '../../scripts/monitor/sqlite-reader.ts';
import { completeRows, record, schema, scratch, writeSqlite } from './fixtures.ts';

const pool = completeRows();

async function store(): Promise<string> {
  const path = join(scratch(), 'captures.db');
  // Three requests an hour apart, the newest holding Gentoo predictions.
  await writeSqlite(path, [
    record(pool.slice(0, 4).map((p) => p.row), ['Adelie', 'Adelie', 'Adelie', 'Adelie'], new Date('2025-03-01T08:00:00Z')),
    record(pool.slice(4, 7).map((p) => p.row), ['Chinstrap', 'Chinstrap', 'Chinstrap'], new Date('2025-03-01T09:00:00Z')),
    record(pool.slice(300, 302).map((p) => p.row), ['Gentoo', 'Gentoo'], new Date('2025-03-01T10:00:00Z')),
  ]);
  return path;
}

async function monitor(args: string[]): Promise<{ code: number | undefined; error?: UserError; lines: string[] }> {
  const lines: string[] = [];
  try {
    return { code: await main(['monitor', ...args], commands, (l) => lines.push(l)), lines };
  } catch (err) {
    if (err instanceof UserError) return { code: err.exitCode, error: err, lines };
    throw err;
  }
}

describe('SQLite capture reader', () => {
  it('reads every row into typed columns, predictions, confidences, labels and times', async () => {
    const path = await store();
    const db = new Database(path);
    db.prepare("UPDATE data SET species = 'Adelie' WHERE rowid = 1").run();
    db.close();
    const c = await new SqliteCaptureReader(`sqlite:///${path}`).read(schema, {});
    expect(c.size).toBe(9);
    expect(c.columns.body_mass_g).toBeInstanceOf(Float64Array);
    expect(Array.from(c.columns.body_mass_g as Float64Array).slice(0, 2)).toEqual([pool[0].row.body_mass_g, pool[1].row.body_mass_g]);
    expect((c.columns.island as string[]).slice(0, 1)).toEqual([pool[0].row.island]);
    expect(c.prediction).toEqual(['Adelie', 'Adelie', 'Adelie', 'Adelie', 'Chinstrap', 'Chinstrap', 'Chinstrap', 'Gentoo', 'Gentoo']);
    expect(Array.from(c.confidence)).toEqual(new Array(9).fill(0.9));
    expect(c.label.filter((l) => l !== null)).toEqual(['Adelie']);
    expect(c.time[8]).toBe(Date.parse('2025-03-01T10:00:00Z'));
    expect(c.missingColumns).toEqual([]);
    // Equal values share one string, so a million rows hold a million pointers, not a million strings.
    expect(Object.is(c.prediction[0], c.prediction[1])).toBe(true);
  });

  it('--samples keeps the most recent rows by capture date', async () => {
    const c = await new SqliteCaptureReader(`sqlite:///${await store()}`).read(schema, { samples: 4 });
    expect(c.size).toBe(4);
    expect([...c.prediction].sort()).toEqual(['Chinstrap', 'Chinstrap', 'Gentoo', 'Gentoo']);
  });

  it('counts text in numeric columns as type mismatches and reports feature columns the table lacks', async () => {
    const path = join(scratch(), 'odd.db');
    const db = new Database(path);
    db.exec('CREATE TABLE data (island TEXT, culmen_length_mm REAL, culmen_depth_mm REAL, flipper_length_mm REAL, body_mass_g REAL, prediction TEXT, confidence REAL, date TEXT, uuid TEXT, species TEXT)');
    const insert = db.prepare('INSERT INTO data VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run('Biscoe', 45.1, 14.5, 215, 5000, 'Gentoo', 0.9, '2025-03-01T10:00:00.000Z', 'a', null);
    insert.run('Dream', 'n/a', 18.1, 190, 3700, 'Adelie', null, null, 'b', null);
    insert.run(Buffer.from('Torgersen'), 39.1, 18.7, 181, 3750, null, null, 'not a date', 'c', null);
    db.close();
    const c = await new SqliteCaptureReader(`sqlite:///${path}`).read(schema, {});
    expect(c.size).toBe(3);
    expect(c.missingColumns).toEqual(['sex']);
    expect(c.typeMismatches).toMatchObject({ culmen_length_mm: 1, island: 1, body_mass_g: 0 });
    expect(Number.isNaN((c.columns.culmen_length_mm as Float64Array)[1])).toBe(true);
    expect(c.columns.island).toEqual(['Biscoe', 'Dream', null]);
    expect(c.columns.sex).toEqual([null, null, null]);
    expect(c.prediction).toEqual(['Gentoo', 'Adelie', null]);
    expect(Number.isNaN(c.confidence[1])).toBe(true);
    expect(Number.isNaN(c.time[2])).toBe(true);

    const out = scratch();
    const r = await monitor(['--datastore', `sqlite:///${path}`, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.lines.join('\n')).toMatch(/FAIL\s+Column set\s+5 of 6 feature columns/);
    expect(r.lines.join('\n')).toMatch(/FAIL\s+Column types/);
  });

  it('an empty store is a one-line message with exit status 2, not a crash: no file, no table, no rows', async () => {
    const dir = scratch();
    const missing = join(dir, 'nothing.db');
    const noTable = join(dir, 'no-table.db');
    new Database(noTable).close();
    const noRows = join(dir, 'no-rows.db');
    await writeSqlite(noRows, []);
    for (const path of [missing, noTable, noRows]) {
      const r = await monitor(['--datastore', `sqlite:///${path}`, '--out', join(dir, 'out')]);
      expect(r.code).toBe(2);
      expect(r.error!.message).toBe(`no captured rows in sqlite:///${path}: send traffic first ('rookery traffic'), or pass the database 'npm start' captures to: --datastore sqlite:///.rookery/start/penguins.db`);
      expect(r.error!.message).not.toContain('\n');
    }
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, 'out', 'report.html'))).toBe(false);
  });
});
