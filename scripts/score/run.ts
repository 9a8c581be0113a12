import type { ModelSource } from '../../container/config.ts';
import { UserError } from '../../model/user-error.ts';
import { readConfig } from '../config.ts';
import { loadModelArtifact } from '../model-load.ts';
import type { ObjectWriter } from '../store/blob-store.ts';
import { interruptSignal, INTERRUPTED_EXIT } from '../traffic/interrupt.ts';
import { progressReporter, type ProgressStream } from '../traffic/progress.ts';
import { scoreCsv } from './csv.ts';
import type { ScoreFormat } from './format.ts';
import type { ScoreJob } from './job.ts';
import { scoreJsonl } from './jsonl.ts';
import { defaultRejectsUri, inputSize, openObject } from './location.ts';
import { BatchScorer } from './scorer.ts';

export interface ScoreOptions {
  model: ModelSource;
  input: string;
  output: string;
  /** Default: next to the output, `<name>.rejects.jsonl`. */
  rejects?: string;
  format: ScoreFormat;
  /** Rejected rows tolerated before the exit status is 1. */
  maxRejects: number;
  /** Print the process's peak resident memory at the end. */
  peakMemory?: boolean;
}

// The Parquet library loads only for Parquet files, so every other command starts without it.
const LOOPS: Record<ScoreFormat, (job: ScoreJob) => Promise<void>> = { csv: scoreCsv, jsonl: scoreJsonl, parquet: async (job) => (await import('./parquet.ts')).scoreParquet(job) };

const megabytes = (n: number) => (n / 1e6).toFixed(1);

/** Writes only when something was written: the reject file exists only if a row was rejected. */
function lazyWriter(open: () => ObjectWriter): ObjectWriter & { used: boolean } {
  let writer: ObjectWriter | undefined;
  return {
    get used() {
      return writer !== undefined;
    },
    write: (piece) => (writer ??= open()).write(piece),
    commit: async () => writer?.commit(),
    abort: async () => writer?.abort(),
  };
}

/**
 * `rookery score` locally: streams the input through the model into the
 * output, which appears under its name only when the whole file is scored
 * (an interrupted or failed run leaves nothing there). Returns the exit status.
 */
export async function runScore(options: ScoreOptions, out: (line: string) => void, progressStream: ProgressStream = process.stderr): Promise<number> {
  const started = Date.now();
  const input = await openObject(options.input);
  const output = await openObject(options.output);
  const rejectsUri = options.rejects ?? defaultRejectsUri(options.output);
  const rejectsAt = await openObject(rejectsUri);
  const size = await inputSize(input);
  const artifact = await loadModelArtifact(options.model, readConfig());
  const writer = output.store.createWriter(output.key);
  const rejects = lazyWriter(() => rejectsAt.store.createWriter(rejectsAt.key));
  const scorer = new BatchScorer(artifact.predictor, rejects);
  const parquet = options.format === 'parquet';
  const reporter = progressReporter(progressStream, Date.now, { name: 'score', unit: parquet ? 'rows' : 'MB', verb: 'read', ...(parquet ? {} : { amount: megabytes }) });
  const interrupt = interruptSignal();
  try {
    await LOOPS[options.format]({ input, size, output: writer, scorer, signal: interrupt.signal, progress: (done, total) => reporter.update({ rowsDone: done, rowsTotal: total, requestsFailed: 0 }) });
    await writer.commit();
    await rejects.commit();
  } catch (err) {
    reporter.done();
    await Promise.all([writer.abort(), rejects.abort()]);
    if (!interrupt.signal.aborted) throw err;
    out(`interrupted after ${scorer.rows} rows; nothing was written to ${output.uri}`);
    return INTERRUPTED_EXIT;
  } finally {
    interrupt.dispose();
  }
  reporter.done();
  const seconds = (Date.now() - started) / 1000;
  const perClass = Object.entries(scorer.perClass).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
  out(`scored ${scorer.scored} of ${scorer.rows} rows from ${input.uri} into ${output.uri} in ${seconds.toFixed(2)} s (${Math.round(scorer.rows / Math.max(seconds, 1e-3))} rows/s)`);
  out(`predictions per class: ${perClass}`);
  out(`rejected: ${scorer.rejected} rows${scorer.rejected ? ` (row numbers and reasons in ${rejectsUri})` : ''}`);
  if (options.peakMemory) out(`peak memory: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB resident (maxRSS)`);
  if (scorer.rejected > options.maxRejects) {
    out(`${scorer.rejected} rejected rows is more than --max-rejects ${options.maxRejects}: exit status 1`);
    return 1;
  }
  return 0;
}

/** Scoring a file into itself, or rejects into the input or output, would destroy what it reads or writes. */
export function assertDistinct(options: Pick<ScoreOptions, 'input' | 'output' | 'rejects'>): void {
  const rejects = options.rejects ?? defaultRejectsUri(options.output);
  if (options.input === options.output || rejects === options.output || rejects === options.input) {
    throw new UserError('--input, --output and --rejects must be three different files', { exitCode: 2 });
  }
}
