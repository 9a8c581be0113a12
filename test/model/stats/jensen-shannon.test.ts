import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jensenShannon } from '../../../model/stats/index.ts';
import { expectClose } from './close.ts';

const MAX = Math.sqrt(Math.LN2);

// Pairs of weight vectors over the same bins, each with a positive total.
const pair = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc.tuple(
      fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n }),
    ),
  )
  .filter(([p, q]) => p.some((x) => x > 0) && q.some((x) => x > 0));

describe('jensenShannon', () => {
  it('is symmetric and lies in [0, sqrt(ln 2)]', () => {
    fc.assert(
      fc.property(pair, ([p, q]) => {
        const d = jensenShannon(p, q);
        expect(jensenShannon(q, p)).toBe(d);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(MAX * (1 + 1e-12));
      }),
    );
  });

  it('is 0 for proportional inputs and sqrt(ln 2) for disjoint ones', () => {
    expect(jensenShannon([1, 2, 3], [2, 4, 6])).toBe(0);
    expectClose(jensenShannon([1, 0], [0, 1]), MAX, 1e-15);
  });

  it('matches scipy.spatial.distance.jensenshannon', () => {
    // jensenshannon([0.1, 0.4, 0.5], [0.3, 0.3, 0.4]) in scipy 1.17.1.
    expectClose(jensenShannon([0.1, 0.4, 0.5], [0.3, 0.3, 0.4]), 0.18035965602712561, 1e-12);
  });

  it('rejects mismatched, negative and all-zero input with the argument named', () => {
    expect(() => jensenShannon([1, 2], [1])).toThrow('jensenShannon: p and q must have the same length');
    expect(() => jensenShannon([1, -2], [1, 1])).toThrow('jensenShannon: p[1] is -2');
    expect(() => jensenShannon([1, 1], [0, 0])).toThrow('jensenShannon: q sums to 0');
  });
});
