// The training report rendered from a small input worked by hand: singular
// and plural forms, escaping, and the tick values the charts put on their axes.
import { describe, expect, it } from 'vitest';
import { classificationReport } from '../../model/metrics.ts';
import { DEFAULT_TRAIN_OPTIONS } from '../../model/train.ts';
import { ticksFromZero } from '../../scripts/train-report/charts.ts';
import { plural } from '../../scripts/monitor/numbers.ts';
import { thresholdDecision } from '../../scripts/train-report/decision.ts';
import { renderTrainingReport, type TrainingReportInput } from '../../scripts/train-report/render.ts';
import { chartTexts, tableRows } from './html.ts';

function input(): TrainingReportInput {
  // truth a a b, predicted a b b: one mistake in three rows.
  const report = classificationReport([0, 0, 1], [0, 1, 1], ['a<b', 'c']);
  return {
    modelName: 'toy & co',
    dataPath: 'toy.csv',
    generatedAt: '2024-06-01T00:00:00.000Z',
    options: { ...DEFAULT_TRAIN_OPTIONS, folds: 2 },
    evaluation: {
      folds: [
        { fold: 0, trainSize: 1, testSize: 2, accuracy: 0.5 },
        { fold: 1, trainSize: 2, testSize: 1, accuracy: 1 },
      ],
      accuracyMean: 0.75,
      accuracyStd: 0.25,
      report,
    },
    data: {
      rows: 3,
      classes: [
        { class: 'a<b', count: 2, share: 2 / 3 },
        { class: 'c', count: 1, share: 1 / 3 },
      ],
      missing: [{ column: 'x', type: 'numeric', missing: 1, share: 1 / 3 }],
    },
    coefficients: { classes: ['a<b', 'c'], inputs: [{ label: 'x', feature: 'x' }], weights: [[0.5, -0.5]], intercepts: [0.1, -0.1] },
    decision: thresholdDecision(0.75, 0.8, { register: true, modelName: 'toy & co', alias: 'champion' }),
  };
}

describe('renderTrainingReport', () => {
  const html = renderTrainingReport(input());

  it('says "1 missing value" and "2 folds", "1 input", "1 feature column"', () => {
    expect(html).toContain('3 rows of <code>toy.csv</code>, 2 classes; 1 missing value across 1 feature column.');
    expect(html).toContain('the mean accuracy over the 2 folds');
    expect(html).toContain('a multinomial logistic regression over 1 input.');
    // A whole-word "1 rows" anywhere, tooltips included, shown with its surroundings if found.
    const wrong = /\b1 (rows|values|inputs|folds|classes)\b/.exec(html);
    expect(wrong && html.slice(wrong.index - 80, wrong.index + 40)).toBeNull();
  });

  it('escapes names from the data and the command line', () => {
    expect(html).toContain('<h1>Training report: toy &amp; co</h1>');
    expect(tableRows(html, 'per-class-table').map((r) => r[0])).toEqual(['a<b', 'c']);
    expect(html).not.toContain('a<b');
  });

  it('shows the hand-worked figures with their rounding', () => {
    expect(tableRows(html, 'per-class-table')).toEqual([
      // a<b: tp 1, predicted 1, support 2; c: tp 1, predicted 2, support 1
      ['a<b', '1.0000', '0.5000', '0.6667', '2'],
      ['c', '0.5000', '1.0000', '0.6667', '1'],
    ]);
    expect(tableRows(html, 'missing')).toEqual([['x', 'numeric', '1', '33.3%']]);
    expect(chartTexts(html, 'class-balance')).toEqual(expect.arrayContaining(['2 (66.7%)', '1 (33.3%)']));
    expect(chartTexts(html, 'coefficients')).toEqual(['a<b', 'c', 'x', '0.500', '-0.500', 'intercept', '0.100', '-0.100']);
    expect(tableRows(html, 'checks')).toEqual([['mean cross-validated accuracy ≥ threshold', '0.7500', '0.8', 'FAIL', 'not registered']]);
    expect(html).toContain('cross-validated accuracy 0.7500 is below the threshold 0.8: the model was not registered');
  });

  it('writes no script and loads nothing', () => {
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
  });
});

describe('plural', () => {
  it('uses the singular for exactly one', () => {
    expect([plural(0, 'row'), plural(1, 'row'), plural(2, 'row'), plural(1, 'class', 'classes'), plural(3, 'class', 'classes')]).toEqual(['0 rows', '1 row', '2 rows', '1 class', '3 classes']);
  });
});

describe('ticksFromZero', () => {
  it('puts the axis on round numbers: steps of 1, 2 or 5 times a power of ten, ending at or past the maximum', () => {
    expect(ticksFromZero(152)).toEqual([0, 50, 100, 150, 200]);
    expect(ticksFromZero(11)).toEqual([0, 5, 10, 15]);
    expect(ticksFromZero(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticksFromZero(0.07)).toEqual([0, 0.02, 0.04, 0.06, 0.08]);
    expect(ticksFromZero(0)).toEqual([0, 1]);
  });
});

describe('thresholdDecision', () => {
  const target = { register: true, modelName: 'penguins', alias: 'champion' };
  it('passes at exactly the threshold and registers', () => {
    expect(thresholdDecision(0.9, 0.9, target)).toMatchObject({ passed: true, outcome: 'register', reason: 'cross-validated accuracy 0.9000 meets the threshold 0.9: registered as a new version of penguins and alias champion moved to it' });
  });
  it('rejects below it, and leaves the choice to a later step with --no-register', () => {
    expect(thresholdDecision(0.8999, 0.9, target)).toMatchObject({ passed: false, outcome: 'reject' });
    expect(thresholdDecision(0.95, 0.9, { ...target, register: false })).toMatchObject({ passed: true, outcome: 'leave' });
    expect(thresholdDecision(0.95, 0.9, { ...target, alias: null }).reason).toBe('cross-validated accuracy 0.9500 meets the threshold 0.9: registered as a new version of penguins');
  });
});
