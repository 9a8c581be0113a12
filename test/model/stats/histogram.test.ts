import { describe, expect, it } from 'vitest';
import { sharedHistogram } from '../../../model/stats/index.ts';

const reference = [1.2, 3.4, 2.2, 5.0, 4.1, 0.3, 2.2, 7.7];
const current = [2.5, 6.1, 4.4, 3.3, 9.0, 2.2];

// numpy.histogram_bin_edges(concatenate([reference, current]), bins=...) and numpy.histogram.
describe('sharedHistogram', () => {
  it("defaults to numpy's 'doane' edges over both samples, as Evidently's charts use", () => {
    expect(sharedHistogram(reference, current)).toEqual({
      edges: [
        0.3, 1.5428571428571427, 2.785714285714285, 4.028571428571428, 5.2714285714285705, 6.514285714285713,
        7.757142857142855, 9.0,
      ],
      reference: [2, 2, 1, 2, 0, 1, 0],
      current: [0, 2, 1, 1, 1, 0, 1],
    });
  });

  it("supports 'sturges' and a fixed number of bins; the last bin includes its right edge", () => {
    expect(sharedHistogram(reference, current, { bins: 'sturges' })).toEqual({
      edges: [0.3, 2.0399999999999996, 3.7799999999999994, 5.519999999999999, 7.259999999999999, 9.0],
      reference: [2, 3, 2, 0, 1],
      current: [0, 3, 1, 1, 1],
    });
    expect(sharedHistogram(reference, current, { bins: 4 })).toEqual({
      edges: [0.3, 2.4749999999999996, 4.6499999999999995, 6.824999999999999, 9.0],
      reference: [4, 2, 1, 1],
      current: [1, 3, 1, 1],
    });
  });

  it('counts every value exactly once', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100);
    const cur = Array.from({ length: 700 }, (_, i) => Math.cos(i) * 80 + 30);
    const h = sharedHistogram(ref, cur);
    expect(h.reference.reduce((a, b) => a + b)).toBe(1000);
    expect(h.current.reduce((a, b) => a + b)).toBe(700);
  });

  it('gives a constant column one bin of width 1 around its value', () => {
    expect(sharedHistogram([3, 3], [3])).toEqual({ edges: [2.5, 3.5], reference: [2], current: [1] });
  });

  it('rejects empty or non-finite samples and bad bin counts', () => {
    expect(() => sharedHistogram([], [1])).toThrow('sharedHistogram: reference is empty');
    expect(() => sharedHistogram([1], [Infinity])).toThrow('sharedHistogram: current[0] is Infinity');
    expect(() => sharedHistogram([1], [2], { bins: 0 })).toThrow('bins must be a positive integer');
  });
});
