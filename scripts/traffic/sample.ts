import { rowAt, type Dataset, type FeatureRow } from '../../model/dataset.ts';
import { createRandom } from '../../model/random.ts';

/** The feature the course drifts so that the monitor has something to find (the penguins schema's default drift column). */
export const DRIFT_FEATURE = 'body_mass_g';

export interface SampleOptions {
  samples: number;
  seed: number;
  /** Shift `driftColumn` of every row by U(1, 3 * std) (the course's drift). */
  drift: boolean;
  /** The numeric column to drift (default DRIFT_FEATURE). */
  driftColumn?: string;
}

export interface TrafficSample {
  rows: FeatureRow[];
  /** Rows of the dataset eligible for sampling: those without missing values. */
  pool: number;
  /** The sample standard deviation the drift was scaled by, when drifting. */
  driftStd?: number;
}

/** Sample standard deviation (ddof = 1), as pandas' Series.std() that the course scales its drift by. */
function sampleStd(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * Rows to send, drawn with replacement from the dataset's complete rows (the
 * course drops rows with missing values before sending), the target left out.
 * With `drift`, each row's drift column grows by a uniform amount between 1 and
 * three standard deviations of the column, as the course's
 * `rng.uniform(1, 3 * std)` does. The same seed gives the same rows.
 */
export function sampleTraffic(data: Dataset, options: SampleOptions): TrafficSample {
  const complete: number[] = [];
  for (let i = 0; i < data.size; i++) {
    const row = rowAt(data, i);
    if (Object.values(row).every((v) => v !== null)) complete.push(i);
  }
  if (complete.length === 0) throw new Error('the dataset has no rows without missing values to send');
  const random = createRandom(options.seed);
  const rows: FeatureRow[] = new Array(options.samples);
  for (let k = 0; k < options.samples; k++) rows[k] = rowAt(data, complete[Math.floor(random() * complete.length)]);
  if (!options.drift) return { rows, pool: complete.length };

  const name = options.driftColumn ?? DRIFT_FEATURE;
  const column = data.numeric[name];
  if (!column) throw new Error(`the dataset has no numeric column ${name} to drift`);
  const std = sampleStd(Float64Array.from(complete, (i) => column[i]));
  const driftRandom = createRandom(options.seed ^ 0x5eed);
  for (const row of rows) {
    const shift = 1 + driftRandom() * (3 * std - 1);
    row[name] = (row[name] as number) + shift;
  }
  return { rows, pool: complete.length, driftStd: std };
}
