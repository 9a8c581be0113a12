import { describe, expect, it } from 'vitest';
import { classificationReport, mean, std } from '../../model/metrics.ts';

describe('classificationReport', () => {
  it('matches a small example worked by hand', () => {
    // truth:     a a a b b c
    // predicted: a b a b c c
    const report = classificationReport([0, 0, 0, 1, 1, 2], [0, 1, 0, 1, 2, 2], ['a', 'b', 'c']);
    expect(report.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(report.accuracy).toBeCloseTo(4 / 6, 15);
    expect(report.classes).toEqual(['a', 'b', 'c']);
    const [a, b, c] = report.perClass;
    // a: tp 2, predicted 2, support 3
    expect(a.class).toBe('a');
    expect(a.precision).toBe(1);
    expect(a.recall).toBeCloseTo(2 / 3, 15);
    expect(a.f1).toBeCloseTo(0.8, 15);
    expect(a.support).toBe(3);
    // b: tp 1, predicted 2, support 2
    expect(b).toEqual({ class: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    // c: tp 1, predicted 2, support 1
    expect(c.precision).toBe(0.5);
    expect(c.recall).toBe(1);
    expect(c.f1).toBeCloseTo(2 / 3, 15);
    expect(c.support).toBe(1);
  });

  it('gives 0, not NaN, where precision or recall divide by zero', () => {
    // Class 1 is never predicted; class 2 never occurs and is never predicted.
    const report = classificationReport([0, 0, 1], [0, 0, 0], ['x', 'y', 'z']);
    expect(report.perClass[1]).toEqual({ class: 'y', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(report.perClass[2]).toEqual({ class: 'z', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(report.perClass[0].precision).toBeCloseTo(2 / 3, 15);
    expect(report.perClass[0].recall).toBe(1);
    expect(classificationReport([], [], ['x', 'y']).accuracy).toBe(0);
  });

  it('takes typed arrays and rejects labels of different lengths', () => {
    const report = classificationReport(Int32Array.from([1, 0]), Int32Array.from([1, 1]), ['n', 'p']);
    expect(report.confusion).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(() => classificationReport([0, 1], [0], ['n', 'p'])).toThrow('truth has 2 labels but predictions 1');
  });

  it('does not share the class list it was given', () => {
    const classes = ['n', 'p'];
    const report = classificationReport([0], [0], classes);
    classes.push('q');
    expect(report.classes).toEqual(['n', 'p']);
  });
});

describe('mean and std', () => {
  it('computes the mean and the population standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(1.25), 15);
    expect(std([5, 5, 5])).toBe(0);
  });
});
