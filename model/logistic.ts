import { createRandom } from './random.ts';

export interface LogisticOptions {
  /** Full-batch gradient descent steps. */
  epochs: number;
  learningRate: number;
  /** L2 penalty on the weights (not the biases). */
  l2: number;
  seed: number;
}

export const DEFAULT_LOGISTIC_OPTIONS: LogisticOptions = { epochs: 300, learningRate: 0.5, l2: 1e-3, seed: 42 };

/**
 * Multinomial logistic regression. `weights` is row-major `classes × (width + 1)`,
 * the last entry of each row being the bias.
 */
export interface LogisticParams {
  classes: number;
  width: number;
  weights: number[];
}

/** Softmax probabilities of one row `x[at .. at+width)`, written into `out[0 .. classes)`. */
export function predictProbaInto(
  p: { classes: number; width: number; weights: Float64Array | number[] },
  x: Float64Array,
  at: number,
  out: Float64Array,
): void {
  const { classes, width, weights } = p;
  const stride = width + 1;
  let max = -Infinity;
  for (let k = 0; k < classes; k++) {
    const base = k * stride;
    let z = weights[base + width];
    for (let j = 0; j < width; j++) z += weights[base + j] * x[at + j];
    out[k] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    const e = Math.exp(out[k] - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < classes; k++) out[k] /= sum;
}

/** Mean cross-entropy plus the L2 term: what training minimizes. */
export function loss(params: LogisticParams, x: Float64Array, y: Int32Array, l2: number): number {
  const n = y.length;
  const proba = new Float64Array(params.classes);
  let total = 0;
  for (let i = 0; i < n; i++) {
    predictProbaInto(params, x, i * params.width, proba);
    total -= Math.log(Math.max(proba[y[i]], 1e-300));
  }
  return total / n + 0.5 * l2 * sumSquaredWeights(params.weights, params.classes, params.width);
}

function sumSquaredWeights(w: ArrayLike<number>, classes: number, width: number): number {
  let s = 0;
  for (let k = 0; k < classes; k++) for (let j = 0; j < width; j++) s += w[k * (width + 1) + j] ** 2;
  return s;
}

/**
 * Fits by full-batch gradient descent from small seeded random weights.
 * Deterministic: the same inputs and seed give the same weights bit for bit.
 * `onEpoch` receives the loss before each step (used to test that it decreases).
 */
export function fitLogistic(
  x: Float64Array,
  y: Int32Array,
  classes: number,
  options: LogisticOptions,
  onEpoch?: (epoch: number, loss: number) => void,
): LogisticParams {
  const n = y.length;
  if (n === 0) throw new Error('cannot fit a classifier on zero rows');
  const width = x.length / n;
  const stride = width + 1;
  const random = createRandom(options.seed);
  const w = new Float64Array(classes * stride);
  for (let i = 0; i < w.length; i++) w[i] = (random() - 0.5) * 0.01;
  const grad = new Float64Array(w.length);
  const proba = new Float64Array(classes);
  const params = { classes, width, weights: w };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    grad.fill(0);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const at = i * width;
      predictProbaInto(params, x, at, proba);
      total -= Math.log(Math.max(proba[y[i]], 1e-300));
      for (let k = 0; k < classes; k++) {
        const err = proba[k] - (y[i] === k ? 1 : 0);
        const base = k * stride;
        for (let j = 0; j < width; j++) grad[base + j] += err * x[at + j];
        grad[base + width] += err;
      }
    }
    if (onEpoch) onEpoch(epoch, total / n + 0.5 * options.l2 * sumSquaredWeights(w, classes, width));
    const step = options.learningRate / n;
    for (let k = 0; k < classes; k++) {
      const base = k * stride;
      for (let j = 0; j < width; j++) w[base + j] -= step * grad[base + j] + options.learningRate * options.l2 * w[base + j];
      w[base + width] -= step * grad[base + width];
    }
  }
  return { classes, width, weights: Array.from(w) };
}
