import { describe, expect, it } from 'vitest';
import { fitPipeline, pipelineWidth, transformDataset } from '../../model/features.ts';
import { DEFAULT_LOGISTIC_OPTIONS, fitLogistic, loss, predictProbaInto, type LogisticParams } from '../../model/logistic.ts';
import { createRandom } from '../../model/random.ts';
import { penguins } from '../helpers/penguins.ts';

const data = penguins();
const pipeline = fitPipeline(data);
const width = pipelineWidth(pipeline);
const x = transformDataset(pipeline, data);
const y = data.target!;
const CLASSES = 3;

/** The starting weights fitLogistic draws for a seed (documented: small seeded random weights). */
function initialWeights(seed: number): number[] {
  const random = createRandom(seed);
  return Array.from({ length: CLASSES * (width + 1) }, () => (random() - 0.5) * 0.01);
}

function lossCurve(options: Partial<typeof DEFAULT_LOGISTIC_OPTIONS>): number[] {
  const curve: number[] = [];
  fitLogistic(x, y, CLASSES, { ...DEFAULT_LOGISTIC_OPTIONS, ...options }, (epoch, l) => {
    expect(epoch).toBe(curve.length);
    curve.push(l);
  });
  return curve;
}

describe('fitLogistic', () => {
  it('reports the loss before each step, starting at the loss of the seeded initial weights', () => {
    const curve = lossCurve({ epochs: 3, l2: 0.01 });
    expect(curve).toHaveLength(3);
    const start: LogisticParams = { classes: CLASSES, width, weights: initialWeights(42) };
    expect(curve[0]).toBeCloseTo(loss(start, x, y, 0.01), 12);
    // Near-uniform start: cross-entropy ≈ ln 3.
    expect(curve[0]).toBeCloseTo(Math.log(3), 2);
  });

  it('lowers the loss with the default settings', () => {
    const curve = lossCurve({});
    expect(curve).toHaveLength(DEFAULT_LOGISTIC_OPTIONS.epochs);
    expect(curve.at(-1)!).toBeLessThan(curve[0] / 5);
  });

  it('never raises the loss with a small learning rate', () => {
    const curve = lossCurve({ epochs: 200, learningRate: 0.05 });
    for (let e = 1; e < curve.length; e++) expect(curve[e]).toBeLessThanOrEqual(curve[e - 1]);
    expect(curve.at(-1)!).toBeLessThan(curve[0]);
  });

  it('takes a step along the analytic gradient, which matches finite differences of loss()', () => {
    const l2 = 0.01;
    const learningRate = 0.1;
    const w0 = initialWeights(7);
    const after = fitLogistic(x, y, CLASSES, { epochs: 1, learningRate, l2, seed: 7 });
    const gradient = w0.map((w, i) => (w - after.weights[i]) / learningRate);
    const h = 1e-6;
    for (let i = 0; i < w0.length; i++) {
      const plus = [...w0];
      const minus = [...w0];
      plus[i] += h;
      minus[i] -= h;
      const numeric = (loss({ classes: CLASSES, width, weights: plus }, x, y, l2) - loss({ classes: CLASSES, width, weights: minus }, x, y, l2)) / (2 * h);
      expect(Math.abs(gradient[i] - numeric)).toBeLessThan(1e-7);
    }
    // The gradient is not trivially zero, so the comparison above means something.
    expect(Math.max(...gradient.map(Math.abs))).toBeGreaterThan(0.05);
  });

  it('a small step lowers the loss by about learning rate × |gradient|²', () => {
    const lr = 1e-4;
    const start = { classes: CLASSES, width, weights: initialWeights(42) };
    const after = fitLogistic(x, y, CLASSES, { epochs: 1, learningRate: lr, l2: 1e-3, seed: 42 });
    const gradSq = start.weights.reduce((a, w, i) => a + ((w - after.weights[i]) / lr) ** 2, 0);
    const drop = loss(start, x, y, 1e-3) - loss(after, x, y, 1e-3);
    expect(drop).toBeGreaterThan(0);
    expect(drop / (lr * gradSq)).toBeCloseTo(1, 2);
  });

  it('gives identical weights for the same seed and different ones for another seed', () => {
    const opts = { ...DEFAULT_LOGISTIC_OPTIONS, epochs: 50 };
    const a = fitLogistic(x, y, CLASSES, opts);
    const b = fitLogistic(x, y, CLASSES, opts);
    expect(b).toStrictEqual(a);
    expect(a.weights).toHaveLength(CLASSES * (width + 1));
    const c = fitLogistic(x, y, CLASSES, { ...opts, seed: 43 });
    expect(c.weights).not.toEqual(a.weights);
  });

  it('does not penalize the biases', () => {
    // With no data pull on a weight, L2 shrinks it; biases are left alone. One step from the seeded start on a
    // feature that is all zeros: its weights shrink by exactly (1 - lr·l2), the biases move only by the data term.
    const n = 4;
    const xs = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) xs[i * 2] = i % 2 ? 1 : -1; // second feature all zeros
    const ys = Int32Array.from([0, 1, 0, 1]);
    const random = createRandom(3);
    const w0 = Array.from({ length: 2 * 3 }, () => (random() - 0.5) * 0.01);
    const after = fitLogistic(xs, ys, 2, { epochs: 1, learningRate: 0.5, l2: 0.2, seed: 3 });
    for (const k of [0, 1]) expect(after.weights[k * 3 + 1]).toBeCloseTo(w0[k * 3 + 1] * (1 - 0.5 * 0.2), 15);
    const fd = (i: number) => {
      const p = [...w0];
      const m = [...w0];
      p[i] += 1e-6;
      m[i] -= 1e-6;
      return (loss({ classes: 2, width: 2, weights: p }, xs, ys, 0.2) - loss({ classes: 2, width: 2, weights: m }, xs, ys, 0.2)) / 2e-6;
    };
    for (const bias of [2, 5]) expect((w0[bias] - after.weights[bias]) / 0.5).toBeCloseTo(fd(bias), 7);
  });

  it('refuses zero rows', () => {
    expect(() => fitLogistic(new Float64Array(0), new Int32Array(0), 3, DEFAULT_LOGISTIC_OPTIONS)).toThrow(/zero rows/);
  });
});

describe('predictProbaInto', () => {
  const model = fitLogistic(x, y, CLASSES, DEFAULT_LOGISTIC_OPTIONS);

  it('gives probabilities in [0, 1] that sum to 1 for every row', () => {
    const out = new Float64Array(CLASSES);
    let correct = 0;
    for (let i = 0; i < y.length; i++) {
      predictProbaInto(model, x, i * width, out);
      for (const p of out) expect(p >= 0 && p <= 1).toBe(true);
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      if (out.indexOf(Math.max(...out)) === y[i]) correct++;
    }
    expect(correct / y.length).toBeGreaterThan(0.97);
  });

  it('stays finite for very large scores', () => {
    const huge = { ...model, weights: model.weights.map((w) => w * 1e6) };
    const out = new Float64Array(CLASSES);
    for (let i = 0; i < 20; i++) {
      predictProbaInto(huge, x, i * width, out);
      expect(out.every(Number.isFinite)).toBe(true);
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });

  it('matches the softmax of the linear scores', () => {
    const out = new Float64Array(CLASSES);
    predictProbaInto(model, x, 5 * width, out);
    const z = Array.from({ length: CLASSES }, (_, k) => {
      let s = model.weights[k * (width + 1) + width];
      for (let j = 0; j < width; j++) s += model.weights[k * (width + 1) + j] * x[5 * width + j];
      return s;
    });
    const e = z.map(Math.exp);
    const total = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => expect(out[k]).toBeCloseTo(v / total, 12));
  });
});
