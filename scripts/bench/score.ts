// `rookery score` on 1,000,000 generated rows, as CSV and as Parquet (100,000
// rows per row group), against a baseline measured the same way in the same
// run: the script a user would write with scikit-learn (pandas.read_csv or
// read_parquet, then a fitted Pipeline.predict_proba; score-baseline.py).
// Each program runs in its own child process, timed from spawn to exit (start-
// up, reading, scoring and, for rookery, writing the output); peak memory is
// the child's VmHWM (polled, and reported by the child itself). The baseline
// is also run writing its output (DataFrame.to_csv / to_parquet), for
// comparison. Targets: at least the baseline's rows per second, in under a
// quarter of its memory.
//
//   pip install scikit-learn pandas pyarrow
//   npm run bench:score [-- --rows 1000000]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { saveArtifact } from '../../model/artifact.ts';
import { loadDataset } from '../../model/dataset.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, trainWithCrossValidation } from '../../model/train.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../config.ts';
import { writeGeneratedCsv, writeGeneratedParquet } from './score-data.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASELINE = fileURLToPath(new URL('./score-baseline.py', import.meta.url));
const ROW_GROUP = 100_000;
const PYTHON_INSTALL = 'the baseline needs scikit-learn, pandas and pyarrow: pip install scikit-learn pandas pyarrow';

interface Run {
  wallMs: number;
  peakBytes: number;
  output: string;
}

function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs a program to its end, timing it from spawn to exit and taking the larger of the polled VmHWM and the peak it reports. */
function measure(command: string, args: string[], reported: RegExp, unit: number): Promise<Run> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, vmHwm(child.pid!))), 20);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearInterval(poll);
      const wallMs = performance.now() - started;
      if (code !== 0) return fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`));
      const own = reported.exec(output);
      done({ wallMs, peakBytes: Math.max(peak, own ? Number(own[1]) * unit : 0), output });
    });
  });
}

const baseline = (input: string, write?: string) => measure('python3', [BASELINE, DEFAULT_DATA_PATH, input, ...(write ? ['--write', write] : [])], /peak-bytes (\d+)/, 1);
const rookery = (model: string, input: string, output: string) =>
  measure(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/rookery.ts'), 'score', '--model', model, '--input', input, '--output', output, '--peak-memory'], /^peak memory: (\d+) MiB/m, 1024 ** 2);

/** The champion as `npm start` trains it, into the bench's own folder. */
function trainModel(dir: string): string {
  const schema = loadSchema(DEFAULT_SCHEMA_PATH);
  const data = loadDataset(DEFAULT_DATA_PATH, schema);
  const result = trainWithCrossValidation(data, DEFAULT_TRAIN_OPTIONS);
  saveArtifact(dir, result.params, { evaluation: result.evaluation, options: result.options, rows: data.size }, { example: data });
  return dir;
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
const perSecond = (rows: number, run: Run) => rows / (run.wallMs / 1000);
const line = (label: string, rows: number, run: Run) => `  ${label.padEnd(44)} ${(run.wallMs / 1000).toFixed(2).padStart(6)} s  ${Math.round(perSecond(rows, run)).toLocaleString('en').padStart(9)} rows/s  peak ${mb(run.peakBytes).padStart(7)}`;

async function benchFormat(format: 'csv' | 'parquet', input: string, dir: string, model: string, rows: number): Promise<boolean> {
  const base = await baseline(input);
  const baseWrite = await baseline(input, join(dir, `baseline-out.${format}`));
  const ours = await rookery(model, input, join(dir, `rookery-out.${format}`));
  const reader = format === 'csv' ? 'pandas.read_csv' : 'pandas.read_parquet';
  console.log(`${format} (${mb(statSync(input).size)} in):`);
  console.log(line(`baseline: ${reader} + predict_proba`, rows, base));
  console.log(line(`baseline, also writing the output`, rows, baseWrite));
  console.log(line(`rookery score (reads, scores, writes)`, rows, ours));
  const speed = perSecond(rows, ours) / perSecond(rows, base);
  const memory = ours.peakBytes / base.peakBytes;
  const met = speed >= 1 && memory < 0.25;
  console.log(`  ratio to baseline: rows/s ${speed.toFixed(2)}× (target ≥ 1), memory ${memory.toFixed(2)}× (target < 0.25); against the writing baseline: rows/s ${(perSecond(rows, ours) / perSecond(rows, baseWrite)).toFixed(2)}×, memory ${(ours.peakBytes / baseWrite.peakBytes).toFixed(2)}×: ${met ? 'met' : 'MISSED'}`);
  return met;
}

async function bench(rows: number): Promise<number> {
  if (spawnSync('python3', ['-c', 'import sklearn, pandas, pyarrow'], { stdio: 'ignore' }).status !== 0) {
    console.error(PYTHON_INSTALL);
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rookery-bench-score-'));
  try {
    const model = trainModel(join(dir, 'model'));
    const started = performance.now();
    writeGeneratedCsv(join(dir, 'batch.csv'), rows);
    writeGeneratedParquet(join(dir, 'batch.parquet'), rows, ROW_GROUP);
    console.log(`generated ${rows.toLocaleString('en')} rows as CSV and Parquet (${ROW_GROUP.toLocaleString('en')} rows per row group) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const csv = await benchFormat('csv', join(dir, 'batch.csv'), dir, model, rows);
    const parquet = await benchFormat('parquet', join(dir, 'batch.parquet'), dir, model, rows);
    return csv && parquet ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' } } });
  process.exitCode = await bench(Number(values.rows ?? 1_000_000));
}
