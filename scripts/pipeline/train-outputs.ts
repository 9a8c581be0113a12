// What `rookery train` leaves for the next pipeline step: the artifact under
// `--out` (a folder, or an s3:// prefix inside a Batch job) and the result
// JSON under `--result`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TrainingOutcome, TrainingRequest } from '../training.ts';
import { REPORT_FILE } from '../train-report/render.ts';
import { isS3Uri, uploadDir, writeText } from './locations.ts';
import type { TrainingResult } from './results.ts';

export interface TrainingOutputs {
  /** Where trainAndRegister should write the artifact, if anywhere. */
  outDir?: string;
  /** Uploads the artifact and writes the result; call after training, before reporting a rejection. */
  finish(request: TrainingRequest, outcome: TrainingOutcome): Promise<void>;
  cleanup(): void;
}

export function trainingOutputs(flags: { out?: string; result?: string }, out: (line: string) => void): TrainingOutputs {
  const remote = flags.out && isS3Uri(flags.out) ? flags.out : undefined;
  const outDir = remote ? mkdtempSync(join(tmpdir(), 'rookery-artifact-')) : flags.out;
  return {
    ...(outDir ? { outDir } : {}),
    async finish(request, outcome) {
      if (remote && outDir) {
        const files = await uploadDir(outDir, remote);
        out(`uploaded the model artifact (${files} files) to ${remote}`);
      }
      if (flags.out) out(`training report: ${reportLocation(remote ?? resolve(flags.out))}`);
      if (request.register === false) {
        const accuracy = outcome.result.evaluation.accuracyMean;
        const verdict = accuracy >= request.accuracyThreshold ? 'meets' : 'is below';
        out(`not registered (--no-register): cross-validated accuracy ${accuracy.toFixed(4)} ${verdict} the threshold ${request.accuracyThreshold}`);
      }
      if (flags.result) {
        await writeText(flags.result, `${JSON.stringify(trainingResult(request, outcome, remote ?? (flags.out ? resolve(flags.out) : null)), null, 2)}\n`);
        out(`wrote the training result to ${flags.result}`);
      }
    },
    cleanup() {
      if (remote && outDir) rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** The training report inside an artifact folder or s3:// prefix. */
export function reportLocation(artifact: string): string {
  return `${artifact.replace(/\/+$/, '')}/${REPORT_FILE}`;
}

export function trainingResult(request: TrainingRequest, outcome: TrainingOutcome, artifact: string | null): TrainingResult {
  const evaluation = outcome.result.evaluation;
  const registered = outcome.registered;
  return {
    name: request.modelName,
    accuracy: evaluation.accuracyMean,
    accuracyStd: evaluation.accuracyStd,
    threshold: request.accuracyThreshold,
    passed: evaluation.accuracyMean >= request.accuracyThreshold,
    registered: Boolean(registered),
    version: registered?.version ?? null,
    alias: registered ? request.alias : null,
    runId: outcome.runId ?? registered?.runId ?? null,
    artifact,
    report: artifact ? reportLocation(artifact) : null,
    // Every labelled row is predicted once out of fold, so the confusion matrix counts the rows trained on.
    rows: evaluation.report.confusion.flat().reduce((a, b) => a + b, 0),
    folds: request.options.folds,
    seed: request.options.seed,
    createdAt: new Date().toISOString(),
  };
}
