// Training on data/penguins.csv: 5-fold cross-validation plus the final fit
// on all 344 rows (`trainWithCrossValidation`, what `rookery train` runs).
//
// Each figure is the median (and minimum) of several interleaved runs after
// warm-up runs. The baseline, measured in the same process, is one plain fit
// of the final model (`fitModel` on all rows): cross-validation fits five
// models on 80 % of the rows, predicts the held-out rows, then fits the final
// one, so the ratio is the cost of evaluating on top of training: about 5-6×
// when the code adds nothing else. The end-to-end figure adds reading the CSV
// and writing the artifact. On a busy shared machine the ratio moves by ±1.
//
// Run with `npm run bench:train` (or `npx tsx scripts/bench/train.ts`).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveArtifact } from '../../model/artifact.ts';
import { loadDataset } from '../../model/dataset.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, fitModel, trainWithCrossValidation } from '../../model/train.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../config.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const WARM_UP = 2;
const TARGET_MS = 2000;

interface Timing {
  median: number;
  min: number;
  samples: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Warm-up runs of every case first (JIT, file cache), then `RUNS` rounds that
 * time each case once, interleaved, so load from other processes on a shared
 * machine falls on all cases alike rather than on whichever ran during it.
 */
function timeInterleaved(cases: (() => unknown)[]): Timing[] {
  for (let i = 0; i < WARM_UP; i++) for (const run of cases) run();
  const samples = cases.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) {
    cases.forEach((run, c) => {
      const start = performance.now();
      run();
      samples[c].push(performance.now() - start);
    });
  }
  return samples.map((s) => ({ median: median(s), min: Math.min(...s), samples: s }));
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

const schema = loadSchema(DEFAULT_SCHEMA_PATH);
const data = loadDataset(DEFAULT_DATA_PATH, schema);
const options = DEFAULT_TRAIN_OPTIONS;
const scratch = mkdtempSync(join(tmpdir(), 'rookery-bench-train-'));

try {
  let accuracy = 0;
  let run = 0;
  const [baseline, cv, endToEnd] = timeInterleaved([
    () => fitModel(data, options),
    () => {
      accuracy = trainWithCrossValidation(data, options).evaluation.accuracyMean;
    },
    () => {
      const d = loadDataset(DEFAULT_DATA_PATH, loadSchema(DEFAULT_SCHEMA_PATH));
      const result = trainWithCrossValidation(d, options);
      saveArtifact(join(scratch, String(run++)), result.params, { evaluation: result.evaluation, options: result.options, rows: d.size }, { example: d });
    },
  ]);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  const ratio = cv.median / baseline.median;
  const met = cv.median < TARGET_MS;
  console.log(`rookery training benchmark: ${data.size} rows, ${options.folds}-fold CV, ${options.epochs} epochs, lr ${options.learningRate}, l2 ${options.l2}, seed ${options.seed}`);
  console.log(`node ${process.version}, ${RUNS} interleaved timed runs per case after ${WARM_UP} warm-up rounds (cross-validated accuracy ${accuracy.toFixed(4)})`);
  console.log('');
  console.log(`${'case'.padEnd(52)}${'median'.padStart(12)}${'min'.padStart(12)}`);
  const line = (name: string, t: Timing) => console.log(`${name.padEnd(52)}${ms(t.median).padStart(12)}${ms(t.min).padStart(12)}`);
  line('baseline: fitModel once on all rows', baseline);
  line(`${options.folds}-fold CV + final fit (trainWithCrossValidation)`, cv);
  line('end to end: load CSV + CV + final fit + save', endToEnd);
  console.log('');
  // Gradient descent is linear in the rows: k fold fits on (k-1)/k of them are k-1 full fits' work, plus the final fit.
  console.log(
    `ratio CV + final fit / baseline (medians): ${ratio.toFixed(2)}× — ${options.folds + 1} fits: ${options.folds} on ${((options.folds - 1) / options.folds) * 100}% of the rows + the final one ≈ ${options.folds} full fits' work, plus predicting the held-out rows and per-fold setup`,
  );
  console.log(`peak RSS: ${peakRssMb.toFixed(1)} MB`);
  console.log(`target: CV + final fit under ${TARGET_MS / 1000} s — ${met ? 'met' : 'NOT met'} (median ${ms(cv.median)}; end to end ${ms(endToEnd.median)})`);
  if (!met) process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
