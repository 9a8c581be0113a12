import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TrainResult } from '../../model/train.ts';
import type { TrainingRequest, TrainingTracker } from '../training.ts';
import { proxiedArtifactPath, uploadDirectory } from '../../registry/mlflow/artifacts.ts';
import type { KeyValue, Metric } from '../../registry/mlflow/batch.ts';
import type { MlflowClient } from '../../registry/mlflow/client.ts';
import { PARENT_RUN_ID_TAG, sourceTags } from '../../registry/mlflow/tags.ts';
import { REPORT_FILE } from '../train-report/render.ts';


/** MLflow keys allow letters, digits, _ - . / and spaces. */
function keyPart(s: string): string {
  return s.replace(/[^\w.\- /]/g, '_');
}

export function trainingParams(request: TrainingRequest, rows: number): KeyValue[] {
  const o = request.options;
  return [
    { key: 'folds', value: String(o.folds) },
    { key: 'seed', value: String(o.seed) },
    { key: 'epochs', value: String(o.epochs) },
    { key: 'learning_rate', value: String(o.learningRate) },
    { key: 'l2', value: String(o.l2) },
    { key: 'accuracy_threshold', value: String(request.accuracyThreshold) },
    { key: 'registered_model_name', value: request.modelName },
    { key: 'data', value: basename(request.dataPath) },
    { key: 'rows', value: String(rows) },
  ];
}

export function crossValidationMetrics(result: TrainResult, timestamp: number): Metric[] {
  const e = result.evaluation;
  const m = (key: string, value: number, step = 0): Metric => ({ key, value, timestamp, step });
  return [
    m('cv_accuracy_mean', e.accuracyMean),
    m('cv_accuracy_std', e.accuracyStd),
    m('cv_accuracy_pooled', e.report.accuracy),
    ...e.folds.map((f) => m('cv_fold_accuracy', f.accuracy, f.fold)),
    ...e.report.perClass.flatMap((c) => [
      m(`cv_precision_${keyPart(c.class)}`, c.precision),
      m(`cv_recall_${keyPart(c.class)}`, c.recall),
      m(`cv_f1_${keyPart(c.class)}`, c.f1),
    ]),
  ];
}

/**
 * Logs `rookery train` to MLflow the way the course does with the Python
 * client: a parent run with the parameters and cross-validation metrics, one
 * nested run per fold, and the model artifact under the parent's `model/`.
 */
export class MlflowTracker implements TrainingTracker {
  constructor(
    private readonly client: MlflowClient,
    private readonly out: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async logTraining(request: TrainingRequest, result: TrainResult, artifactDir: string): Promise<{ runId: string }> {
    const client = this.client;
    const experimentId = await client.getOrCreateExperiment(request.modelName);
    const startTime = this.now();
    const parent = await client.createRun({
      experimentId,
      runName: `train-seed${request.options.seed}-${new Date(startTime).toISOString().replace(/[:.]/g, '-')}`,
      startTime,
      tags: sourceTags('rookery train'),
    });
    const runId = parent.info.run_id;
    try {
      const folds = result.evaluation.folds;
      const rows = folds.reduce((n, f) => n + f.testSize, 0);
      await client.logBatch(runId, { params: trainingParams(request, rows), metrics: crossValidationMetrics(result, this.now()) });
      for (const fold of folds) {
        const child = await client.createRun({
          experimentId,
          runName: `fold-${fold.fold}`,
          startTime: this.now(),
          tags: [...sourceTags('rookery train'), { key: PARENT_RUN_ID_TAG, value: runId }],
        });
        await client.logBatch(child.info.run_id, {
          params: [
            { key: 'fold', value: String(fold.fold) },
            { key: 'train_size', value: String(fold.trainSize) },
            { key: 'test_size', value: String(fold.testSize) },
          ],
          metrics: [{ key: 'accuracy', value: fold.accuracy, timestamp: this.now(), step: 0 }],
        });
        await client.updateRun(child.info.run_id, { status: 'FINISHED', endTime: this.now() });
      }
      const files = await uploadDirectory(client, artifactDir, `${proxiedArtifactPath(parent.info.artifact_uri)}/model`);
      await client.updateRun(runId, { status: 'FINISHED', endTime: this.now() });
      const runPage = `${client.trackingUri}/#/experiments/${experimentId}/runs/${runId}`;
      this.out(`logged run ${runId} with ${folds.length} nested fold runs and ${files.length} model files to MLflow: ${runPage}`);
      // The UI's route to one selected artifact (Routes.getRunArtifactRoute in MLflow's web app), which shows HTML inline.
      if (existsSync(join(artifactDir, REPORT_FILE))) this.out(`training report: ${runPage}/artifactPath/model/${REPORT_FILE}`);
      return { runId };
    } catch (err) {
      await client.updateRun(runId, { status: 'FAILED', endTime: this.now() }).catch(() => undefined);
      throw err;
    }
  }
}
