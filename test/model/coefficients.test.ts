import { describe, expect, it } from 'vitest';
import { coefficientTable } from '../../model/coefficients.ts';
import type { ModelParams } from '../../model/predictor.ts';

const params: ModelParams = {
  format: 'rookery-logistic/v1',
  schema: {
    name: 'toy',
    missingValues: [''],
    target: { name: 'kind', classes: ['a', 'b'] },
    features: [
      { name: 'x', type: 'numeric' },
      { name: 'colour', type: 'categorical', categories: ['red', 'blue'] },
    ],
  },
  pipeline: {
    features: [
      { name: 'x', type: 'numeric', impute: 0, mean: 0, scale: 1 },
      { name: 'colour', type: 'categorical', categories: ['red', 'blue'] },
    ],
  },
  // class-major, 3 inputs + bias per class
  classifier: { classes: 2, width: 3, weights: [1, 2, 3, 4, 5, 6, 7, 8] },
};

describe('coefficientTable', () => {
  it('names each weight by its input and class, the bias apart', () => {
    const table = coefficientTable(params);
    expect(table.classes).toEqual(['a', 'b']);
    expect(table.inputs).toEqual([
      { label: 'x', feature: 'x' },
      { label: 'colour = red', feature: 'colour', category: 'red' },
      { label: 'colour = blue', feature: 'colour', category: 'blue' },
    ]);
    expect(table.weights).toEqual([
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
    expect(table.intercepts).toEqual([4, 8]);
  });

  it('refuses a classifier whose width does not match the pipeline', () => {
    expect(() => coefficientTable({ ...params, classifier: { classes: 2, width: 2, weights: [1, 2, 3, 4, 5, 6] } })).toThrow('the pipeline gives 3 inputs but the classifier has 2');
  });
});
