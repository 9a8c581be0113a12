import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ks2samp } from '../../../model/stats/index.ts';
import { kstwoSf } from '../../../model/stats/kstwo.ts';
import { smirnovSf } from '../../../model/stats/smirnov.ts';
import { expectClose } from './close.ts';

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

// Values with ties as well as distinct ones, since ties change the statistic.
const sample = fc.array(
  fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
  { minLength: 1, maxLength: 60 },
);

describe('ks2samp properties', () => {
  it('has a statistic in [0, 1] and a p-value in [0, 1]', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        for (const method of ['auto', 'asymp'] as const) {
          if (method === 'asymp' && a.length === 1 && b.length === 1) continue;
          const r = ks2samp(a, b, { method });
          expect(r.statistic).toBeGreaterThanOrEqual(0);
          expect(r.statistic).toBeLessThanOrEqual(1);
          expect(r.pvalue).toBeGreaterThanOrEqual(0);
          expect(r.pvalue).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('is symmetric in its samples', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(ks2samp(b, a)).toEqual(ks2samp(a, b));
      }),
    );
  });

  it('gives 0 and p = 1 for identical samples', () => {
    fc.assert(
      fc.property(sample, (a) => {
        const r = ks2samp(a, [...a].reverse());
        expect(r.statistic).toBe(0);
        expect(r.pvalue).toBe(1);
      }),
    );
  });
});

// Reference values from scipy (scipy.stats.ks_2samp, kstwo.sf, special.smirnov).
describe('ks2samp against scipy', () => {
  it('uses the closed form for equal sample sizes', () => {
    const a = range(1000, (i) => i);
    const b = range(1000, (i) => i + 37.5);
    const exact = ks2samp(a, b);
    expect(exact).toMatchObject({ method: 'exact', statistic: 0.038 });
    expectClose(exact.pvalue, 0.4659595288557257, 1e-10);
    const asymp = ks2samp(a, b, { method: 'asymp' });
    expectClose(asymp.statistic, 0.038000000000000034, 1e-12);
    expectClose(asymp.pvalue, 0.454659503072802, 1e-10);
    const scaled = ks2samp(a, range(1000, (i) => i * 1.3));
    expectClose(scaled.pvalue, 8.470621055424192e-24, 1e-10);
  });

  it('is exact up to 10,000 values per sample and asymptotic beyond', () => {
    const a = range(10_000, (i) => i);
    const equal = ks2samp(a, range(10_000, (i) => i * 1.01));
    expect(equal.method).toBe('exact');
    expectClose(equal.statistic, 0.0099, 1e-12);
    expectClose(equal.pvalue, 0.7112026399498019, 1e-10);
    const larger = ks2samp(a, range(10_001, (i) => i * 1.01));
    expect(larger.method).toBe('asymp');
    expectClose(larger.statistic, 0.009999000099989996, 1e-12);
    expectClose(larger.pvalue, 0.6955741661579284, 1e-10);
  });

  it('falls back to the asymptotic distribution when the exact one is not a probability', () => {
    // For 5 vs 5 at D = 0.2 the closed form rounds to 1.0000000000000002.
    expect(ks2samp([1, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5])).toEqual({ statistic: 0.2, pvalue: 1, method: 'asymp' });
  });

  it('switches an explicit exact request to asymp when lcm(m, n) leaves int32 range', () => {
    const r = ks2samp(
      range(50_000, (i) => i),
      range(50_001, (i) => i + 100),
      { method: 'exact' },
    );
    expect(r.method).toBe('asymp');
    expectClose(r.statistic, 0.00201995960080803, 1e-12);
    expectClose(r.pvalue, 0.9999526794546635, 1e-10);
  });

  it.each([
    [3, 0.25, 0.9722222222222222], // Ruben-Gambino, x <= 1/n
    [200, 0.004, 1.0], // Ruben-Gambino, x <= 1/n
    [5, 0.8, 0.0006399999999999993], // Ruben-Gambino, x >= 1 - 1/n
    [3, 0.5, 0.3333333333333333], // 2 * smirnov, x >= 0.5
    [37, 0.1, 0.8176553142175396], // Durbin
    [10, 0.2, 0.7487190399999999], // Durbin
    [37, 0.2, 0.08979521784208933], // Pomeranz
    [100, 0.15, 0.019839242125643017], // Pomeranz
    [37, 0.4, 7.4336602542449625e-6], // 2 * smirnov
    [140, 0.3, 1.1370251710737309e-11], // 2 * smirnov
    [344, 0.2, 1.5486764000954828e-12], // 2 * smirnov
    [344, 0.5, 4.757198281596255e-80], // 2 * smirnov, x >= 0.5
    [344, 0.025, 0.978980976029302], // Durbin
    [1000, 0.012, 0.9984464668620097], // Durbin
    [344, 0.04, 0.626047749251009], // Pelz-Good
    [344, 0.07, 0.06546071576308787], // Pelz-Good
    [200000, 0.002, 0.39995085369038097], // Pelz-Good
    [500000, 0.0021, 0.024276288597831493], // 2 * smirnov
    [2000, 0.45, 0], // underflow
  ])('kstwo.sf at n = %d, x = %d', (n, x, expected) => {
    expectClose(kstwoSf(n, x), expected, 1e-10);
  });

  it.each([
    [1000, 0.05, 0.006506037390545166],
    [1013, 0.04, 0.03805515040827917],
    [20, 0.02, 0.970863776549444],
    [100, 0.3, 8.859934946331458e-9],
    [1000000, 0.001, 0.1352450897649141],
    [3, 0.9, 0.0009999999999999994],
  ])('smirnov at n = %d, x = %d', (n, x, expected) => {
    expectClose(smirnovSf(n, x), expected, 1e-12);
  });
});

describe('ks2samp input validation', () => {
  it('names an empty sample', () => {
    expect(() => ks2samp([], [1])).toThrow('ks2samp: reference is empty');
    expect(() => ks2samp([1], [])).toThrow('ks2samp: current is empty');
  });

  it('names a non-finite value and its position', () => {
    expect(() => ks2samp([1, NaN], [1])).toThrow('ks2samp: reference[1] is NaN');
    expect(() => ks2samp([1], [2, 3, Infinity])).toThrow('ks2samp: current[2] is Infinity');
  });

  it('rejects an unknown method', () => {
    expect(() => ks2samp([1], [2], { method: 'fast' as 'auto' })).toThrow("method must be 'auto', 'exact' or 'asymp'");
  });

  it('refuses the asymptotic distribution for 1 vs 1 values, where scipy returns NaN', () => {
    expect(() => ks2samp([1], [2], { method: 'asymp' })).toThrow('use method "exact"');
    expect(ks2samp([1], [2])).toEqual({ statistic: 1, pvalue: 1, method: 'exact' });
  });

  it('leaves the caller arrays unsorted', () => {
    const a = [3, 1, 2];
    ks2samp(a, [0]);
    expect(a).toEqual([3, 1, 2]);
  });
});
