import { describe, expect, it } from 'vitest';
import { fitPipeline } from '../../model/features.ts';
import { DEFAULT_TRAIN_OPTIONS, fitModel, trainWithCrossValidation } from '../../model/train.ts';
import { penguins } from '../helpers/penguins.ts';

describe('trainWithCrossValidation on penguins', () => {
  const data = penguins();
  const result = trainWithCrossValidation(data, DEFAULT_TRAIN_OPTIONS);
  const { evaluation } = result;

  it('reaches a cross-validated accuracy of at least 0.97', () => {
    expect(evaluation.accuracyMean).toBeGreaterThanOrEqual(0.97);
    for (const fold of evaluation.folds) expect(fold.accuracy).toBeGreaterThanOrEqual(0.9);
    const accs = evaluation.folds.map((f) => f.accuracy);
    expect(evaluation.accuracyMean).toBeCloseTo(accs.reduce((a, b) => a + b, 0) / accs.length, 15);
    expect(evaluation.accuracyStd).toBeGreaterThanOrEqual(0);
    expect(evaluation.accuracyStd).toBeLessThan(0.05);
  });

  it('evaluates 5 folds that together test every row once', () => {
    expect(evaluation.folds.map((f) => f.fold)).toEqual([0, 1, 2, 3, 4]);
    expect(evaluation.folds.map((f) => f.testSize)).toEqual([69, 69, 69, 69, 68]);
    for (const f of evaluation.folds) expect(f.trainSize + f.testSize).toBe(344);
  });

  it('reports pooled out-of-fold predictions: the confusion matrix counts all 344 rows', () => {
    const { report } = evaluation;
    expect(report.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(344);
    // Row sums are the true class counts.
    expect(report.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([152, 68, 124]);
    expect(report.perClass.map((c) => c.support)).toEqual([152, 68, 124]);
    const correct = report.confusion.reduce((a, row, i) => a + row[i], 0);
    expect(report.accuracy).toBeCloseTo(correct / 344, 15);
    // Pooled accuracy equals the fold accuracies weighted by fold size.
    const weighted = evaluation.folds.reduce((a, f) => a + f.accuracy * f.testSize, 0) / 344;
    expect(report.accuracy).toBeCloseTo(weighted, 12);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.97);
  });

  it('trains the final model on all rows', () => {
    expect(result.params).toStrictEqual(fitModel(data, DEFAULT_TRAIN_OPTIONS));
    expect(result.params.pipeline).toEqual(fitPipeline(data));
    expect(result.params.format).toBe('rookery-logistic/v1');
    expect(result.params.schema).toBe(data.schema);
    expect(result.options).toEqual(DEFAULT_TRAIN_OPTIONS);
  });

  it('is deterministic for a seed', () => {
    const again = trainWithCrossValidation(data, DEFAULT_TRAIN_OPTIONS);
    expect(again.params).toStrictEqual(result.params);
    expect(again.evaluation).toStrictEqual(evaluation);
    const other = trainWithCrossValidation(data, { ...DEFAULT_TRAIN_OPTIONS, seed: 7 });
    expect(other.params.classifier.weights).not.toEqual(result.params.classifier.weights);
  });

  it('refuses data without a target', () => {
    const { target: _, ...unlabelled } = data;
    expect(() => trainWithCrossValidation(unlabelled)).toThrow(/no target/);
    expect(() => fitModel(unlabelled, DEFAULT_TRAIN_OPTIONS)).toThrow(/no target/);
  });
});
