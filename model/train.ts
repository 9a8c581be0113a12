import { kFold } from './cv.ts';
import { rowAt, subset, type Dataset } from './dataset.ts';
import { fitPipeline, transformDataset } from './features.ts';
import { DEFAULT_LOGISTIC_OPTIONS, fitLogistic, type LogisticOptions } from './logistic.ts';
import { classificationReport, mean, std, type ClassificationReport } from './metrics.ts';
import { Predictor, type ModelParams } from './predictor.ts';

export interface TrainOptions extends LogisticOptions {
  folds: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { ...DEFAULT_LOGISTIC_OPTIONS, folds: 5 };

export interface FoldResult {
  fold: number;
  trainSize: number;
  testSize: number;
  accuracy: number;
}

export interface Evaluation {
  folds: FoldResult[];
  accuracyMean: number;
  accuracyStd: number;
  /** Out-of-fold predictions of every row, pooled: per-class metrics and the confusion matrix. */
  report: ClassificationReport;
}

export interface TrainResult {
  params: ModelParams;
  evaluation: Evaluation;
  options: TrainOptions;
}

/** Fits the feature pipeline and classifier on `data`; the pipeline sees only these rows. */
export function fitModel(data: Dataset, options: LogisticOptions): ModelParams {
  if (!data.target) throw new Error('training data has no target column');
  const pipeline = fitPipeline(data);
  const x = transformDataset(pipeline, data);
  const classifier = fitLogistic(x, data.target, data.schema.target.classes.length, options);
  return { format: 'rookery-logistic/v1', schema: data.schema, pipeline, classifier };
}

/** Predicted class indices for every row of `data`. */
function predictIndices(params: ModelParams, data: Dataset): Int32Array {
  const predictor = new Predictor(params);
  const rows = Array.from({ length: data.size }, (_, i) => rowAt(data, i));
  const classIndex = new Map(params.schema.target.classes.map((c, i) => [c, i]));
  return Int32Array.from(predictor.predictValid(rows), (p) => classIndex.get(p.prediction)!);
}

/** k-fold cross-validation (shuffled, seeded), then a final model trained on all rows. */
export function trainWithCrossValidation(data: Dataset, options: TrainOptions = DEFAULT_TRAIN_OPTIONS): TrainResult {
  if (!data.target) throw new Error('training data has no target column');
  const folds = kFold(data.size, options.folds, options.seed);
  const outOfFold = new Int32Array(data.size);
  const results: FoldResult[] = folds.map((fold, f) => {
    const model = fitModel(subset(data, fold.train), options);
    const test = subset(data, fold.test);
    const predicted = predictIndices(model, test);
    let correct = 0;
    for (let i = 0; i < predicted.length; i++) {
      outOfFold[fold.test[i]] = predicted[i];
      if (predicted[i] === test.target![i]) correct++;
    }
    return { fold: f, trainSize: fold.train.length, testSize: fold.test.length, accuracy: correct / fold.test.length };
  });
  const accuracies = results.map((r) => r.accuracy);
  return {
    params: fitModel(data, options),
    options,
    evaluation: {
      folds: results,
      accuracyMean: mean(accuracies),
      accuracyStd: std(accuracies),
      report: classificationReport(data.target, outOfFold, data.schema.target.classes),
    },
  };
}
