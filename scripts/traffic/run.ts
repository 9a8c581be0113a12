import { loadDataset } from '../../model/dataset.ts';
import { loadSchema } from '../../model/schema.ts';
import type { Target } from '../targets/target.ts';
import { formatTrafficSummary, progressReporter, type ProgressStream } from './progress.ts';
import { sampleTraffic } from './sample.ts';
import { sendTraffic, type TrafficSummary } from './send.ts';

export interface TrafficRequest {
  dataPath: string;
  schemaPath: string;
  samples: number;
  batch: number;
  concurrency: number;
  drift: boolean;
  seed: number;
}

/** Samples the dataset, sends it to the target with progress on `progress`, and prints the summary through `out`. */
export async function runTraffic(
  target: Target,
  request: TrafficRequest,
  out: (line: string) => void,
  progress: ProgressStream = process.stderr,
): Promise<TrafficSummary> {
  const schema = loadSchema(request.schemaPath);
  const data = loadDataset(request.dataPath, schema, { requireTarget: false });
  const sample = sampleTraffic(data, { samples: request.samples, seed: request.seed, drift: request.drift });
  const drift = sample.driftStd !== undefined ? `, body_mass_g drifted by U(1, 3 × ${sample.driftStd.toFixed(1)} g)` : '';
  out(`sending ${request.samples} rows sampled from ${sample.pool} complete rows of ${request.dataPath} (seed ${request.seed}${drift}) to ${target.destination}, ${request.batch} per request, ${request.concurrency} at a time`);
  const reporter = progressReporter(progress);
  const summary = await sendTraffic(target, sample.rows, {
    batch: request.batch,
    concurrency: request.concurrency,
    onProgress: (p) => reporter.update(p),
  });
  reporter.done();
  out(formatTrafficSummary(summary));
  return summary;
}
