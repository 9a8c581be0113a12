// `rookery label` on stores it cannot use: one line naming the problem and the fix, exit 1, never a stack trace.
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';

const scratch = useTempDirs('rookery-label-errors-');

async function label(dir: string, ...args: string[]) {
  const run = await runCli(['label', ...args], { ROOKERY_REGISTRY: join(dir, 'registry'), ROOKERY_CACHE: join(dir, 'cache') }, { cwd: dir });
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  return run;
}

describe('rookery label: unusable capture stores', () => {
  it('a corrupted or non-SQLite file', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'penguins.db'), 'not a database, just text\n'.repeat(200));
    const run = await label(dir, '--datastore', 'sqlite:///penguins.db');
    expect(run.stderr).toBe(`rookery: ${join(dir, 'penguins.db')} is not a SQLite capture database (corrupted, or another kind of file): pass the database 'rookery serve' captures to (--datastore sqlite:///path/penguins.db)\n`);
    expect(run.code).toBe(1);
  });

  it('a directory', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'captures'));
    const run = await label(dir, '--datastore', 'sqlite:///captures');
    expect(run.stderr).toBe(`rookery: ${join(dir, 'captures')} is a folder, not a SQLite database: pass the database file (sqlite:///path/penguins.db), or file://${join(dir, 'captures')} for JSON Lines captures in that folder\n`);
    expect(run.code).toBe(1);
  });

  it('a file:// location that is a regular file', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'captures.jsonl'), '{}\n');
    const run = await label(dir, '--datastore', `file://${join(dir, 'captures.jsonl')}`, '--ground-truth', `file://${join(dir, 'gt')}`);
    expect(run.stderr).toBe(`rookery: --datastore file://${join(dir, 'captures.jsonl')} is a file; file:/// names the folder of JSON Lines captures: pass that folder, or sqlite:///${join(dir, 'captures.jsonl')} if it is a SQLite capture database\n`);
    expect(run.code).toBe(1);
  });

  it('no database yet: points at the one npm start captures to', async () => {
    const dir = scratch();
    const run = await label(dir);
    expect(run.stderr).toContain("or pass the database 'npm start' captures to: --datastore sqlite:///.rookery/start/penguins.db");
    expect(run.code).toBe(1);
  });

  it('a database another process keeps locked: says so after a 5 s wait, not a SqliteError', async () => {
    const dir = scratch();
    const path = join(dir, 'penguins.db');
    const db = new Database(path);
    db.exec('CREATE TABLE data (island TEXT, species TEXT, prediction TEXT, uuid TEXT)');
    db.exec("INSERT INTO data VALUES ('Biscoe', NULL, 'Adelie', 'a')");
    db.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      const run = await label(dir, '--datastore', 'sqlite:///penguins.db');
      const seconds = (Date.now() - started) / 1000;
      expect(run.stderr).toBe(`rookery: ${path} is locked by another process (waited 5 s): let the other writer finish (another 'rookery label', or a sqlite3 shell with an open transaction) and run this again\n`);
      expect(run.code).toBe(1);
      expect(seconds).toBeGreaterThanOrEqual(5);
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
  }, 30_000);
});
