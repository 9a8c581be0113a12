import { describe, it } from 'vitest';
import { chiSquare, jensenShannon, ks2samp, psi, wassersteinDistance, wassersteinNormed } from '../../../model/stats/index.ts';
import { expectClose } from './close.ts';
import { referenceCases, type Case } from './reference.ts';

const STATISTIC_RTOL = 1e-9;
const PVALUE_RTOL = 1e-6;

const byKind = <K extends Case['kind']>(kind: K) =>
  referenceCases
    .map((c, index) => ({ c, index }))
    .filter((x): x is { c: Extract<Case, { kind: K }>; index: number } => x.c.kind === kind);

describe('drift-reference.json numeric cases', () => {
  it.each(byKind('numeric'))('case $index', ({ c }) => {
    const auto = ks2samp(c.reference, c.current);
    expectClose(auto.statistic, c.ks_statistic, STATISTIC_RTOL, 'ks statistic');
    expectClose(auto.pvalue, c.ks_pvalue_auto, PVALUE_RTOL, 'ks p-value (auto)');
    const asymp = ks2samp(c.reference, c.current, { method: 'asymp' });
    expectClose(asymp.statistic, c.ks_statistic, STATISTIC_RTOL, 'ks statistic (asymp)');
    expectClose(asymp.pvalue, c.ks_pvalue_asymp, PVALUE_RTOL, 'ks p-value (asymp)');
    expectClose(wassersteinDistance(c.reference, c.current), c.wasserstein, STATISTIC_RTOL, 'wasserstein');
    expectClose(wassersteinNormed(c.reference, c.current), c.wasserstein_normed, STATISTIC_RTOL, 'wasserstein normed');
  });
});

describe('drift-reference.json categorical cases', () => {
  it.each(byKind('categorical'))('case $index', ({ c }) => {
    const result = chiSquare(c.reference_counts, c.current_counts);
    expectClose(result.statistic, c.chisquare_statistic, STATISTIC_RTOL, 'chi-square statistic');
    expectClose(result.pvalue, c.chisquare_pvalue, PVALUE_RTOL, 'chi-square p-value');
    expectClose(jensenShannon(c.reference_counts, c.current_counts), c.jensenshannon, STATISTIC_RTOL, 'jensen-shannon');
  });
});

describe('drift-reference.json psi cases', () => {
  it.each(byKind('psi'))('case $index', ({ c }) => {
    expectClose(psi(c.reference_proportions, c.current_proportions), c.psi, STATISTIC_RTOL, 'psi');
  });
});
