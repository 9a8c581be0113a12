// Jensen-Shannon distance, scipy.spatial.distance.jensenshannon(p, q) with the
// natural logarithm: inputs are normalized to sum to 1, and the result is the
// square root of the divergence, between 0 and sqrt(ln 2).

import { requireSameLength, requireWeights } from './validate.ts';

// scipy.special.rel_entr: x log(x / y), with 0 log 0 = 0.
function relativeEntropy(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  return x === 0 && y >= 0 ? 0 : Infinity;
}

/** Jensen-Shannon distance between two weight vectors over the same categories or bins. */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  requireSameLength(p, q, 'jensenShannon', 'p and q');
  const pTotal = requireWeights(p, 'jensenShannon', 'p');
  const qTotal = requireWeights(q, 'jensenShannon', 'q');
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / pTotal;
    const qi = q[i] / qTotal;
    const m = (pi + qi) / 2;
    left += relativeEntropy(pi, m);
    right += relativeEntropy(qi, m);
  }
  // Rounding can leave a near-zero divergence slightly negative, which scipy
  // turns into NaN through the square root; the distance there is 0.
  return Math.sqrt(Math.max((left + right) / 2, 0));
}
