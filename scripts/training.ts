import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveArtifact, type Metrics } from '../model/artifact.ts';
import { coefficientTable } from '../model/coefficients.ts';
import { profileDataset } from '../model/data-profile.ts';
import { loadDataset } from '../model/dataset.ts';
import type { ModelRegistry, ModelVersionInfo } from '../model/registry.ts';
import { loadSchema } from '../model/schema.ts';
import { trainWithCrossValidation, type TrainOptions, type TrainResult } from '../model/train.ts';
import { UserError } from '../model/user-error.ts';
import { formatEvaluation } from './format.ts';
import { thresholdDecision } from './train-report/decision.ts';
import { REPORT_FILE, renderTrainingReport } from './train-report/render.ts';

export interface TrainingRequest {
  dataPath: string;
  schemaPath: string;
  options: TrainOptions;
  accuracyThreshold: number;
  modelName: string;
  alias: string | null;
  /** Also keep a copy of the artifact here (e.g. to package it for SageMaker). */
  outDir?: string;
  /** false: train, save and log the run, but leave registering to a later step (`rookery models register`). */
  register?: boolean;
}

export interface TrainingOutcome {
  result: TrainResult;
  registered?: ModelVersionInfo;
  /** Why the model was not registered, when it was not. */
  rejected?: string;
  /** The tracker's run, when there is one. */
  runId?: string;
}

/**
 * Receives the training events an experiment tracker records (MLflow logs a
 * parent run with a nested run per fold). Optional: the local path has none.
 */
export interface TrainingTracker {
  /** Called after training; may upload the artifact and return a run id to link the registered version to. */
  logTraining(request: TrainingRequest, result: TrainResult, artifactDir: string): Promise<{ runId?: string }>;
}

/** Train with k-fold CV, save the artifact, and register it when it passes the accuracy gate. */
export async function trainAndRegister(
  request: TrainingRequest,
  registry: ModelRegistry,
  out: (line: string) => void,
  tracker?: TrainingTracker,
): Promise<TrainingOutcome> {
  const schema = loadSchema(request.schemaPath);
  const data = loadDataset(request.dataPath, schema, { requireTarget: true });
  const { folds } = request.options;
  if (data.size < folds) {
    const fix = data.size >= 2 ? `pass --folds N with N at most ${data.size}, or train on more rows` : 'cross-validation needs at least 2 rows; train on more rows';
    throw new UserError(`${request.dataPath} has ${data.size} row${data.size === 1 ? '' : 's'}, too few for ${folds}-fold cross-validation: ${fix}`);
  }
  out(`training on ${data.size} rows of ${request.dataPath} with ${request.options.folds}-fold cross-validation (seed ${request.options.seed})`);
  const started = performance.now();
  const result = trainWithCrossValidation(data, request.options);
  out(`trained in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  out(formatEvaluation(result.evaluation));

  const metrics: Metrics = { evaluation: result.evaluation, options: result.options, rows: data.size, data: profileDataset(data) };
  const accuracy = result.evaluation.accuracyMean;
  const decision = thresholdDecision(accuracy, request.accuracyThreshold, { register: request.register !== false, modelName: request.modelName, alias: request.alias });
  const staging = request.outDir ?? mkdtempSync(join(tmpdir(), 'rookery-model-'));
  try {
    saveArtifact(staging, result.params, metrics, { example: data });
    // Written with the artifact, so the registry, MLflow and the pipeline's --out all keep it with the model.
    writeFileSync(
      join(staging, REPORT_FILE),
      renderTrainingReport({
        modelName: request.modelName,
        dataPath: request.dataPath,
        generatedAt: new Date().toISOString(),
        evaluation: result.evaluation,
        options: result.options,
        data: metrics.data!,
        coefficients: coefficientTable(result.params),
        decision,
      }),
    );
    const { runId } = tracker ? await tracker.logTraining(request, result, staging) : {};
    const run = runId ? { runId } : {};
    if (decision.outcome === 'leave') return { result, ...run };
    if (decision.outcome === 'reject') return { result, rejected: decision.reason, ...run };
    const registered = await registry.register(request.modelName, staging, {
      alias: request.alias,
      ...(runId ? { runId } : {}),
      metrics: { accuracy_mean: accuracy, accuracy_std: result.evaluation.accuracyStd },
    });
    const alias = request.alias ? ` and moved alias ${request.alias} to it` : '';
    out(`registered ${request.modelName} version ${registered.version} in ${registry.location}${alias}`);
    const kept = registry.localPath?.(request.modelName, registered.version);
    if (kept) out(`training report: ${join(kept, REPORT_FILE)}`);
    return { result, registered, ...run };
  } finally {
    if (!request.outDir) rmSync(staging, { recursive: true, force: true });
  }
}
