import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchBytes, LOG_BATCH_LIMITS, planLogBatches, validateBatch, type Batch } from '../../registry/mlflow/batch.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from '../../registry/mlflow/retry.ts';

const RUN = '0123456789abcdef0123456789abcdef';

function make(metrics: number, params: number, tags: number, valueLength = 1): Batch {
  return {
    metrics: Array.from({ length: metrics }, (_, i) => ({ key: `m${i % 7}`, value: i, timestamp: i, step: i })),
    params: Array.from({ length: params }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(valueLength) })),
    tags: Array.from({ length: tags }, (_, i) => ({ key: `t${i}`, value: 'y'.repeat(valueLength) })),
  };
}

describe('planLogBatches', () => {
  it('keeps every request within MLflow’s limits and logs everything once, in order', () => {
    fc.assert(
      fc.property(fc.nat(3500), fc.nat(450), fc.nat(450), (m, p, t) => {
        const all = make(m, p, t);
        const plan = planLogBatches(RUN, all);
        for (const b of plan) {
          expect(b.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.metrics);
          expect(b.params.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params);
          expect(b.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags);
          expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.total);
          expect(b.metrics.length + b.params.length + b.tags.length).toBeGreaterThan(0);
        }
        expect(plan.flatMap((b) => b.metrics)).toEqual(all.metrics);
        expect(plan.flatMap((b) => b.params)).toEqual(all.params);
        expect(plan.flatMap((b) => b.tags)).toEqual(all.tags);
      }),
      { numRuns: 60 },
    );
  });

  it('packs like MLflow’s client: params and tags 100 at a time, topped up with metrics', () => {
    const plan = planLogBatches(RUN, make(1500, 150, 20));
    expect(plan.map((b) => [b.metrics.length, b.params.length, b.tags.length])).toEqual([
      [880, 100, 20],
      [620, 50, 0],
    ]);
    expect(planLogBatches(RUN, make(0, 0, 0))).toEqual([]);
  });

  it('splits requests that would pass 1 MB', () => {
    const all = make(0, 100, 100, 5000);
    const plan = planLogBatches(RUN, all);
    expect(plan.length).toBeGreaterThan(1);
    for (const b of plan) expect(batchBytes(RUN, b)).toBeLessThanOrEqual(LOG_BATCH_LIMITS.bytes);
    expect(plan.flatMap((b) => b.params)).toEqual(all.params);
  });
});

describe('validateBatch', () => {
  it('names bad keys, values and duplicates', () => {
    expect(() => validateBatch({ metrics: [{ key: 'a b/c-d.e_f', value: 1, timestamp: 0, step: 0 }], params: [], tags: [] })).not.toThrow();
    expect(() => validateBatch({ metrics: [{ key: 'acc', value: Number.NaN, timestamp: 0, step: 0 }], params: [], tags: [] })).toThrow(/metric acc is NaN/);
    expect(() => validateBatch({ metrics: [], params: [{ key: 'k'.repeat(251), value: '' }], tags: [] })).toThrow(/longer than 250/);
    expect(() => validateBatch({ metrics: [], params: [{ key: 'p', value: 'v'.repeat(6001) }], tags: [] })).toThrow(/param p is longer than 6000/);
    expect(() => validateBatch({ metrics: [], params: [], tags: [{ key: 't', value: 'v'.repeat(5001) }] })).toThrow(/tag t is longer than 5000/);
    expect(() => validateBatch({ metrics: [], params: [], tags: [{ key: '', value: '' }] })).toThrow(/tag key is empty/);
  });
});

describe('backoff', () => {
  it('doubles from the base, stays within the jitter band and the cap', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.double({ min: 0, max: 0.999999, noNaN: true }), (retry, r) => {
        const p = DEFAULT_RETRY_POLICY;
        const exponential = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** retry);
        const d = backoffDelay(retry, p, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(exponential * (1 - p.jitter)));
        expect(d).toBeLessThanOrEqual(exponential);
      }),
    );
  });

  it('waits at least Retry-After, capped at the maximum delay', () => {
    const p = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
    expect(backoffDelay(0, p, () => 0, 4000)).toBe(4000);
    expect(backoffDelay(0, p, () => 0, 10 * 60_000)).toBe(p.maxDelayMs);
    expect(backoffDelay(3, p, () => 0, 100)).toBe(4000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
