import { loadDataset } from '../../model/dataset.ts';
import { defaultDriftColumn, loadSchema, type Schema } from '../../model/schema.ts';
import { UserError } from '../../model/user-error.ts';
import type { Target } from '../targets/target.ts';
import { formatTrafficSummary, progressReporter, type ProgressStream } from './progress.ts';
import { sampleTraffic } from './sample.ts';
import { sendTraffic, type TrafficSummary } from './send.ts';

/** What `rookery traffic` sends when its flags leave a figure out (`rookery start` sends the same). */
export const TRAFFIC_DEFAULTS = { samples: 200, batch: 10, concurrency: 4, seed: 42 } as const;

export interface TrafficRequest {
  dataPath: string;
  schemaPath: string;
  /** The model's schema (from its artifact); when set, schemaPath is not read. */
  schema?: Schema;
  samples: number;
  batch: number;
  concurrency: number;
  drift: boolean;
  /** The numeric feature --drift shifts (default: the schema's last numeric feature). */
  driftColumn?: string;
  seed: number;
  /** Aborted on Ctrl-C: the run stops and summarizes what was answered. */
  signal?: AbortSignal;
}

/** The column to drift: `name` when it is a numeric feature of the schema, else the schema's default; a usage error otherwise. */
export function resolveDriftColumn(schema: Schema, name?: string): string {
  if (name === undefined) {
    const fallback = defaultDriftColumn(schema);
    if (!fallback) throw new UserError(`--drift: the ${schema.name} schema has no numeric feature to drift; send traffic without --drift`, { exitCode: 2 });
    return fallback;
  }
  const feature = schema.features.find((f) => f.name === name);
  const numeric = schema.features.filter((f) => f.type === 'numeric').map((f) => f.name);
  const choices = numeric.length ? `pass one of: ${numeric.join(', ')}` : 'it has no numeric features';
  if (!feature) throw new UserError(`--drift-column ${name}: not a feature of the ${schema.name} schema; ${choices}`, { exitCode: 2 });
  if (feature.type !== 'numeric') throw new UserError(`--drift-column ${name}: a categorical feature cannot be shifted; ${choices}`, { exitCode: 2 });
  return name;
}

/** Samples the dataset, sends it to the target with progress on `progress`, and prints the summary through `out`. */
export async function runTraffic(
  target: Target,
  request: TrafficRequest,
  out: (line: string) => void,
  progress: ProgressStream = process.stderr,
): Promise<TrafficSummary> {
  const schema = request.schema ?? loadSchema(request.schemaPath);
  const driftColumn = request.drift ? resolveDriftColumn(schema, request.driftColumn) : undefined;
  const data = loadDataset(request.dataPath, schema, { requireTarget: false });
  const sample = sampleTraffic(data, { samples: request.samples, seed: request.seed, drift: request.drift, ...(driftColumn ? { driftColumn } : {}) });
  const unit = schema.features.find((f) => f.name === driftColumn && f.type === 'numeric' && f.unit) as { unit?: string } | undefined;
  const drift = sample.driftStd !== undefined ? `, ${driftColumn} drifted by U(1, 3 × ${sample.driftStd.toFixed(1)}${unit?.unit ? ` ${unit.unit}` : ''})` : '';
  out(`sending ${request.samples} rows sampled from ${sample.pool} complete rows of ${request.dataPath} (seed ${request.seed}${drift}) to ${target.destination}, ${request.batch} per request, ${request.concurrency} at a time`);
  const reporter = progressReporter(progress);
  const summary = await sendTraffic(target, sample.rows, {
    batch: request.batch,
    concurrency: request.concurrency,
    onProgress: (p) => reporter.update(p),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  reporter.done();
  out(formatTrafficSummary(summary));
  return summary;
}
