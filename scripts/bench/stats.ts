// Drift statistics on a monitoring-sized column: 1,000,000 captured values
// against a 344-row reference (the size of the penguins training set).
// Each figure is the median of several runs, with a ratio against sorting the
// same 1,000,000 values once, measured in the same process, since sorting
// dominates every statistic here and is what a faster machine speeds up too.

import { binNumericForPsi, detectDrift, ks2samp, psi, sharedHistogram, wassersteinNormed } from '../../model/stats/index.ts';

const CURRENT_ROWS = 1_000_000;
const REFERENCE_ROWS = 344;
const RUNS = 7;

// Deterministic data so runs are comparable: mulberry32 uniform, Box-Muller normal.
function normalSampler(seed: number, mean: number, sd: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function sample(rows: number, next: () => number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = Math.round(next() * 10) / 10;
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(run: () => unknown): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const reference = sample(REFERENCE_ROWS, normalSampler(1, 4200, 800));
const current = sample(CURRENT_ROWS, normalSampler(2, 4350, 850));

const baseline = time(() => Float64Array.from(current).sort());
const cases: [string, () => unknown][] = [
  ['ks2samp (asymptotic)', () => ks2samp(reference, current)],
  ['wassersteinNormed', () => wassersteinNormed(reference, current)],
  ['PSI (binNumericForPsi + psi)', () => {
    const bins = binNumericForPsi(reference, current);
    return psi(bins.reference, bins.current);
  }],
  ['sharedHistogram (doane)', () => sharedHistogram(reference, current)],
  ['detectDrift (chooses ks)', () => detectDrift({ kind: 'numeric', reference, current })],
];

console.log(`drift statistics, ${CURRENT_ROWS.toLocaleString('en')} current vs ${REFERENCE_ROWS} reference rows, median of ${RUNS}`);
console.log(`${'baseline: Float64Array copy + sort'.padEnd(36)} ${baseline.toFixed(1).padStart(8)} ms   1.00x`);
for (const [name, run] of cases) {
  const ms = time(run);
  console.log(`${name.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms ${(ms / baseline).toFixed(2).padStart(6)}x`);
}
const r = ks2samp(reference, current);
console.log(`(ks statistic ${r.statistic.toFixed(4)}, p ${r.pvalue.toExponential(3)}, ${r.method})`);
