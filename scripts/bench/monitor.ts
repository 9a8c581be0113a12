// A full monitoring report over 1,000,000 captured rows: builds a SQLite
// capture store shaped as `rookery serve` writes it, then runs `rookery
// monitor` on it in a child process and reports its wall time and peak
// resident memory (VmHWM) against the targets (10 s, 1 GB). The baseline,
// measured the same way in the same run, is a child that only streams the
// same columns out of SQLite: the floor any report over this store pays.
//
//   npm run bench:monitor [-- --rows 1000000]

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type BetterSqlite3 from 'better-sqlite3';
import { CAPTURE_TABLE, captureColumns } from '../../container/capture/sqlite.ts';
import { loadDataset, rowAt } from '../../model/dataset.ts';
import { createRandom } from '../../model/random.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../config.ts';

const TARGET_SECONDS = 10;
const TARGET_BYTES = 1024 ** 3;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Peak resident set size of this process so far, from the kernel (bytes). */
function vmHwm(pid: number | 'self' = 'self'): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Captures as the server would write them: dataset rows (half with body_mass_g drifted), predictions, every other row labeled. */
export function buildStore(path: string, rows: number): void {
  const schema = loadSchema(DEFAULT_SCHEMA_PATH);
  const data = loadDataset(DEFAULT_DATA_PATH, schema);
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const columns = captureColumns(schema);
  db.exec(`CREATE TABLE ${CAPTURE_TABLE} (${columns.map((c) => `${quote(c.name)} ${c.sql}`).join(', ')})`);
  const insert = db.prepare(`INSERT INTO ${CAPTURE_TABLE} (${columns.map((c) => quote(c.name)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  const features = schema.features.map((f) => f.name);
  const pool = Array.from({ length: data.size }, (_, i) => ({ row: rowAt(data, i), species: schema.target.classes[data.target![i]] }));
  const random = createRandom(7);
  const start = Date.parse('2025-01-01T00:00:00Z');
  db.transaction(() => {
    let date = '';
    for (let i = 0; i < rows; i++) {
      const { row, species } = pool[Math.floor(random() * pool.length)];
      // Ten rows per request, one request every 50 ms: the server stamps a request's rows with one date.
      if (i % 10 === 0) date = new Date(start + (i / 10) * 50).toISOString();
      const values = features.map((f) => row[f]);
      if (i % 2 === 1 && typeof row.body_mass_g === 'number') values[features.indexOf('body_mass_g')] = row.body_mass_g + 800 + random() * 1600;
      insert.run(...values, species, 0.5 + random() / 2, date, randomUUID(), i % 2 === 0 ? species : null);
    }
  })();
  db.close();
}

interface ChildResult {
  wallMs: number;
  peakBytes: number;
  exitCode: number | null;
  output: string;
}

/** Runs this script in a child (`--child MODE`), timing it from spawn to exit and sampling its VmHWM. */
function runChild(mode: 'report' | 'scan', args: string[]): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', mode, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, vmHwm(child.pid!))), 20);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearInterval(poll);
      const wallMs = performance.now() - started;
      // The child also reports its own VmHWM just before exiting, which polling can miss.
      const reported = /^peak-bytes (\d+)$/m.exec(output);
      done({ wallMs, peakBytes: Math.max(peak, reported ? Number(reported[1]) : 0), exitCode: code, output });
    });
  });
}

async function child(mode: string, db: string, out: string): Promise<void> {
  if (mode === 'scan') {
    const schema = loadSchema(DEFAULT_SCHEMA_PATH);
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const conn = new Database(db, { readonly: true });
    const columns = [...schema.features.map((f) => f.name), 'prediction', 'confidence', schema.target.name, 'date'].map(quote);
    let n = 0;
    for (const row of conn.prepare(`SELECT ${columns.join(', ')} FROM ${CAPTURE_TABLE}`).raw(true).iterate() as Iterable<unknown[]>) if (row.length) n++;
    conn.close();
    console.log(`scanned ${n} rows`);
  } else {
    const { commands } = await import('../commands/index.ts');
    const { main } = await import('../cli.ts');
    const code = await main(['monitor', '--datastore', `sqlite:///${db}`, '--out', out, '--no-fail'], commands, () => {});
    console.log(`monitor exit ${code}`);
  }
  console.log(`peak-bytes ${vmHwm()}`);
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function bench(rows: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rookery-bench-monitor-'));
  try {
    const db = join(dir, 'captures.db');
    const out = join(dir, 'report');
    const built = performance.now();
    buildStore(db, rows);
    console.log(`built a capture store of ${rows.toLocaleString('en')} rows in ${s(performance.now() - built)} (${mb(statSync(db).size)})`);

    const baseline = await runChild('scan', ['--db', db, '--out', out]);
    if (baseline.exitCode !== 0) throw new Error(`baseline failed:\n${baseline.output}`);
    const report = await runChild('report', ['--db', db, '--out', out]);
    if (report.exitCode !== 0 || !/monitor exit 0/.test(report.output)) throw new Error(`the monitor failed:\n${report.output}`);
    const html = statSync(join(out, 'report.html')).size;
    const json = statSync(join(out, 'summary.json')).size;

    console.log('');
    console.log(`baseline (stream the same columns out of SQLite, in a child): ${s(baseline.wallMs)}, peak RSS ${mb(baseline.peakBytes)}`);
    console.log(`full report (rookery monitor, in a child):                    ${s(report.wallMs)}, peak RSS ${mb(report.peakBytes)}`);
    console.log(`ratio to baseline: time ${(report.wallMs / baseline.wallMs).toFixed(2)}×, memory ${(report.peakBytes / baseline.peakBytes).toFixed(2)}×`);
    console.log(`report.html ${(html / 1024).toFixed(0)} KB, summary.json ${(json / 1024).toFixed(0)} KB`);
    const timeOk = report.wallMs < TARGET_SECONDS * 1000;
    const memoryOk = report.peakBytes < TARGET_BYTES;
    console.log(`targets: under ${TARGET_SECONDS} s ${timeOk ? 'met' : 'MISSED'}, under 1 GB ${memoryOk ? 'met' : 'MISSED'}`);
    return timeOk && memoryOk ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, child: { type: 'string' }, db: { type: 'string' }, out: { type: 'string' } } });
  if (values.child) await child(values.child, resolve(values.db!), resolve(values.out!));
  else process.exitCode = await bench(Number(values.rows ?? 1_000_000));
}
