import { expect } from 'vitest';

/** |actual - expected| <= rtol * |expected|; an expected 0 must be met exactly. */
export function expectClose(actual: number, expected: number, rtol: number, label = ''): void {
  if (expected === 0 || !Number.isFinite(expected)) {
    expect(actual, label).toBe(expected);
    return;
  }
  const rel = Math.abs(actual - expected) / Math.abs(expected);
  expect(rel, `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(rtol);
}
