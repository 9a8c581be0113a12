// `rookery score` on 1,000,000 generated rows, as CSV and as Parquet (100,000
// rows per row group), against a baseline measured the same way in the same
// run: the script a user would write with scikit-learn (pandas.read_csv or
// read_parquet, then a fitted Pipeline.predict_proba; score-baseline.py).
// Each program runs in its own child process, timed from spawn to exit (start-
// up, reading, scoring and, for rookery, writing the output); peak memory is
// the child's VmHWM (polled, and reported by the child itself). The baseline
// is also run writing its output (DataFrame.to_csv / to_parquet), for
// comparison. Targets: at least the baseline's rows per second, in under a
// quarter of its memory, for the command the README tells users to run
// (`npx rookery score`: scripts/bin/rookery.js, TypeScript through tsx, with
// the node options of its shebang line, as the kernel starts it). The
// image's bundle (npm run build:image, what SageMaker and Azure ML jobs run,
// without tsx, started with the Dockerfile ENTRYPOINT's node options) is
// measured too, as a second line.
//
//   pip install scikit-learn pandas pyarrow
//   npm run bench:score [-- --rows 1000000]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { saveArtifact } from '../../model/artifact.ts';
import { loadDataset } from '../../model/dataset.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, trainWithCrossValidation } from '../../model/train.ts';
import { buildImageBundle } from '../build-image.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../config.ts';
import { imageEntrypoint } from '../dockerfile.ts';
import { BIN, binNodeOptions } from '../bin/node-options.ts';
import { mb, measure, type Measured } from './measure.ts';
import { writeGeneratedCsv, writeGeneratedParquet } from './score-data.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASELINE = fileURLToPath(new URL('./score-baseline.py', import.meta.url));
const ROW_GROUP = 100_000;
const PYTHON_INSTALL = 'the baseline needs scikit-learn, pandas and pyarrow: pip install scikit-learn pandas pyarrow';

/** A program run to its end (measure.ts), failing the benchmark if it fails. */
async function run(command: string, args: string[], reported: RegExp, unit: number): Promise<Measured> {
  const measured = await measure(command, args, { cwd: ROOT, reported: { pattern: reported, unit } });
  if (measured.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} exited ${measured.exitCode}:\n${measured.output}`);
  return measured;
}

const baseline = (input: string, write?: string) => run('python3', [BASELINE, DEFAULT_DATA_PATH, input, ...(write ? ['--write', write] : [])], /peak-bytes (\d+)/, 1);
/** The program `npx rookery` runs (the package's bin), or the image's bundle with the ENTRYPOINT's node options. */
const BIN_COMMAND = [...binNodeOptions(), BIN];
const rookery = (entry: string[], model: string, input: string, output: string) =>
  run(process.execPath, [...entry, 'score', '--model', model, '--input', input, '--output', output, '--peak-memory'], /^peak memory: (\d+) MiB/m, 1024 ** 2);

/** The champion as `npm start` trains it, into the bench's own folder. */
function trainModel(dir: string): string {
  const schema = loadSchema(DEFAULT_SCHEMA_PATH);
  const data = loadDataset(DEFAULT_DATA_PATH, schema);
  const result = trainWithCrossValidation(data, DEFAULT_TRAIN_OPTIONS);
  saveArtifact(dir, result.params, { evaluation: result.evaluation, options: result.options, rows: data.size }, { example: data });
  return dir;
}

const perSecond = (rows: number, run: Measured) => rows / (run.wallMs / 1000);
const line = (label: string, rows: number, run: Measured) => `  ${label.padEnd(48)} ${(run.wallMs / 1000).toFixed(2).padStart(6)} s  ${Math.round(perSecond(rows, run)).toLocaleString('en').padStart(9)} rows/s  peak ${mb(run.peakBytes).padStart(7)}`;

const ratios = (rows: number, ours: Measured, base: Measured) => ({ speed: perSecond(rows, ours) / perSecond(rows, base), memory: ours.peakBytes / base.peakBytes });

async function benchFormat(format: 'csv' | 'parquet', input: string, dir: string, model: string, rows: number, image: string[] | undefined): Promise<boolean> {
  const base = await baseline(input);
  const baseWrite = await baseline(input, join(dir, `baseline-out.${format}`));
  const ours = await rookery(BIN_COMMAND, model, input, join(dir, `rookery-out.${format}`));
  const bundled = image ? await rookery(image, model, input, join(dir, `image-out.${format}`)) : undefined;
  const reader = format === 'csv' ? 'pandas.read_csv' : 'pandas.read_parquet';
  console.log(`${format} (${mb(statSync(input).size)} in):`);
  console.log(line(`baseline: ${reader} + predict_proba`, rows, base));
  console.log(line(`baseline, also writing the output`, rows, baseWrite));
  console.log(line(`npx rookery score (reads, scores, writes)`, rows, ours));
  if (bundled) console.log(line(`image: node ${image!.slice(0, -1).join(' ')} rookery.mjs`, rows, bundled));
  const { speed, memory } = ratios(rows, ours, base);
  const met = speed >= 1 && memory < 0.25;
  const writing = ratios(rows, ours, baseWrite);
  console.log(`  npx rookery score to baseline: rows/s ${speed.toFixed(2)}× (target ≥ 1), memory ${memory.toFixed(2)}× (target < 0.25): ${met ? 'met' : 'MISSED'}; against the writing baseline: rows/s ${writing.speed.toFixed(2)}×, memory ${writing.memory.toFixed(2)}×`);
  if (bundled) {
    const b = ratios(rows, bundled, base);
    console.log(`  the image's bundle to baseline: rows/s ${b.speed.toFixed(2)}×, memory ${b.memory.toFixed(2)}×: ${b.speed >= 1 && b.memory < 0.25 ? 'met' : 'missed'}`);
  }
  return met;
}

/** The image's command: its bundle, built as `npm run build:image` builds it, after the ENTRYPOINT's node options; a failed build skips its lines rather than the benchmark. */
async function imageCommand(): Promise<string[] | undefined> {
  try {
    return [...imageEntrypoint().nodeOptions, await buildImageBundle()];
  } catch (err) {
    console.log(`the image's bundle did not build (${(err as Error).message.split('\n')[0]}); its lines are left out\n`);
    return undefined;
  }
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
    console.log(`load average at the start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    console.log(`generated ${rows.toLocaleString('en')} rows as CSV and Parquet (${ROW_GROUP.toLocaleString('en')} rows per row group) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const image = await imageCommand();
    const csv = await benchFormat('csv', join(dir, 'batch.csv'), dir, model, rows, image);
    const parquet = await benchFormat('parquet', join(dir, 'batch.parquet'), dir, model, rows, image);
    console.log(`\nload average at the end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    return csv && parquet ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' } } });
  process.exitCode = await bench(Number(values.rows ?? 1_000_000));
}
