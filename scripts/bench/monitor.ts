// A full monitoring report over 1,000,000 captured rows: builds a SQLite
// capture store shaped as `rookery serve` writes it, then runs `rookery
// monitor` on it in a child process and reports its wall time and peak
// resident memory (VmHWM). The baseline, measured the same way in the same
// run, is the script a user would write instead (monitor-baseline.py: pandas
// reads the table, scipy runs ks_2samp on the four numeric columns and
// chisquare on the two categorical ones); the report, with all its sections,
// should take less time and memory than those statistics alone.
//
//   npm run bench:monitor [-- --rows 1000000]
//   npm run bench:monitor -- --s3 [--objects 10000]   (monitor-s3.ts: moto's S3 against `aws s3 sync`)

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
import { mb, measure, seconds, vmHwm, type Measured } from './measure.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const BASELINE_SCRIPT = fileURLToPath(new URL('./monitor-baseline.py', import.meta.url));

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

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

/** Runs this script in a child (`--child report`): the same CLI code path as `npx rookery monitor`. */
function runReport(args: string[], env?: NodeJS.ProcessEnv): Promise<Measured> {
  return measure(process.execPath, ['--import', 'tsx', SELF, '--child', 'report', ...args], { cwd: ROOT, ...(env ? { env } : {}) });
}

/** Whether python3 has pandas and scipy; the baseline cannot run without them. */
export function pythonBaselineMissing(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import pandas, scipy'], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return `the baseline needs pandas and scipy in python3 (${(probe.stderr || '').trim().split('\n').at(-1) || 'python3 not found'}): pip install pandas scipy`;
}

async function child(args: { datastore: string; out: string }): Promise<void> {
  const { commands } = await import('../commands/index.ts');
  const { main } = await import('../cli.ts');
  const code = await main(['monitor', '--datastore', args.datastore, '--out', args.out, '--no-fail'], commands, () => {});
  console.log(`monitor exit ${code}`);
  console.log(`peak-bytes ${vmHwm()}`);
}


async function bench(rows: number): Promise<number> {
  const missing = pythonBaselineMissing();
  if (missing) {
    console.error(`bench:monitor: ${missing}`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rookery-bench-monitor-'));
  try {
    const db = join(dir, 'captures.db');
    const out = join(dir, 'report');
    const built = performance.now();
    buildStore(db, rows);
    console.log(`built a capture store of ${rows.toLocaleString('en')} rows in ${seconds(performance.now() - built)} (${mb(statSync(db).size)})`);

    const baseline = await measure('python3', [BASELINE_SCRIPT, db, DEFAULT_DATA_PATH], { cwd: ROOT });
    if (baseline.exitCode !== 0) throw new Error(`the baseline failed:\n${baseline.output}`);
    const report = await runReport(['--datastore', `sqlite:///${db}`, '--out', out]);
    if (report.exitCode !== 0 || !/monitor exit 0/.test(report.output)) throw new Error(`the monitor failed:\n${report.output}`);
    const html = statSync(join(out, 'report.html')).size;
    const json = statSync(join(out, 'summary.json')).size;

    console.log('');
    console.log(`baseline (pandas read_sql + scipy ks_2samp ×4, chisquare ×2): ${seconds(baseline.wallMs)}, peak RSS ${mb(baseline.peakBytes)}`);
    console.log(`full report (rookery monitor, every section):               ${seconds(report.wallMs)}, peak RSS ${mb(report.peakBytes)}`);
    console.log(`ratio to baseline: time ${(report.wallMs / baseline.wallMs).toFixed(2)}×, memory ${(report.peakBytes / baseline.peakBytes).toFixed(2)}×`);
    console.log(`report.html ${(html / 1024).toFixed(0)} KB, summary.json ${(json / 1024).toFixed(0)} KB`);
    const faster = report.wallMs < baseline.wallMs;
    const smaller = report.peakBytes < baseline.peakBytes;
    console.log(`target: faster than the baseline ${faster ? 'met' : 'MISSED'}, in less memory ${smaller ? 'met' : 'MISSED'}`);
    return faster && smaller ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, s3: { type: 'boolean' }, objects: { type: 'string' }, child: { type: 'string' }, datastore: { type: 'string' }, out: { type: 'string' } } });
  if (values.child) await child({ datastore: values.datastore!, out: resolve(values.out!) });
  else if (values.s3) {
    const { benchS3 } = await import('./monitor-s3.ts');
    process.exitCode = await benchS3(Number(values.objects ?? 10_000), runReport);
  } else process.exitCode = await bench(Number(values.rows ?? 1_000_000));
}
