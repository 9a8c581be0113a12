// Drift found where traffic was drifted and not in undrifted samples of the
// reference; the test per column is the one Evidently picks for the
// reference's size, computed by model/stats.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ks2samp } from '../../model/stats/index.ts';
import { analyze } from '../../scripts/monitor/analyze.ts';
import { loadReference } from '../../scripts/monitor/reference.ts';
import { sampleTraffic } from '../../scripts/traffic/sample.ts';
import { columnsOf, data, DATA_PATH, schema, scratch } from './fixtures.ts';

const reference = loadReference(DATA_PATH, schema);

function trafficColumns(seed: number, drift: boolean, samples = 200) {
  const { rows } = sampleTraffic(data, { samples, seed, drift });
  return columnsOf(rows.map((row) => ({ row, prediction: 'Adelie' })));
}

describe('data drift', () => {
  it('finds body_mass_g drifted, and only it, in traffic drifted as the course does', () => {
    const a = analyze(schema, reference, trafficColumns(42, true));
    const byColumn = new Map(a.drift.columns.map((d) => [d.column, d]));
    expect(a.drift.drifted).toBe(1);
    expect(byColumn.get('body_mass_g')).toMatchObject({ test: 'ks', drifted: true, threshold: 0.05, referenceValues: 342, currentValues: 200 });
    expect(byColumn.get('body_mass_g')!.pvalue!).toBeLessThan(1e-10);
    expect(byColumn.get('body_mass_g')!.psi!.drifted).toBe(true);
    expect(byColumn.get('island')).toMatchObject({ test: 'chisquare', drifted: false });
    expect(byColumn.get('sex')).toMatchObject({ test: 'z', drifted: false });
  });

  it('finds no drift in undrifted samples of the reference (several seeds)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const a = analyze(schema, reference, trafficColumns(seed, false));
      expect(a.drift.columns.filter((d) => d.drifted).map((d) => `${seed}:${d.column}`)).toEqual([]);
      expect(a.drift.tested).toBe(6);
    }
  });

  it('reports the statistic model/stats computes (ks2samp as scipy, exact p-value at this size)', () => {
    const current = trafficColumns(42, true);
    const a = analyze(schema, reference, current);
    const d = a.drift.columns.find((c) => c.column === 'culmen_length_mm')!;
    const ref = (reference.columns.culmen_length_mm as Float64Array).filter((v) => !Number.isNaN(v));
    const expected = ks2samp(ref, current.columns.culmen_length_mm as Float64Array);
    expect(d.statistic).toBe(expected.statistic);
    expect(d.pvalue).toBe(expected.pvalue);
    expect(expected.method).toBe('exact');
  });

  it('uses the normed Wasserstein and Jensen-Shannon distances when the reference has more than 1000 rows', () => {
    const lines = readFileSync(DATA_PATH, 'utf8').trimEnd().split('\n');
    const big = join(scratch(), 'big-reference.csv');
    writeFileSync(big, `${[lines[0], ...lines.slice(1), ...lines.slice(1), ...lines.slice(1), ...lines.slice(1)].join('\n')}\n`);
    const bigReference = loadReference(big, schema);
    expect(bigReference.size).toBe(1376);
    const a = analyze(schema, bigReference, trafficColumns(42, true));
    const byColumn = new Map(a.drift.columns.map((d) => [d.column, d]));
    expect(byColumn.get('body_mass_g')).toMatchObject({ test: 'wasserstein', drifted: true, threshold: 0.1 });
    expect(byColumn.get('body_mass_g')!.distance!).toBeGreaterThan(0.5);
    expect(byColumn.get('culmen_length_mm')).toMatchObject({ test: 'wasserstein', drifted: false });
    expect(byColumn.get('island')).toMatchObject({ test: 'jensenshannon', drifted: false });
    expect(byColumn.get('sex')).toMatchObject({ test: 'jensenshannon' });
  });

  it('compares predicted class shares with the reference species shares', () => {
    const { rows } = sampleTraffic(data, { samples: 200, seed: 9, drift: false });
    const allGentoo = analyze(schema, reference, columnsOf(rows.map((row) => ({ row, prediction: 'Gentoo' }))));
    expect(allGentoo.predictionDrift).toMatchObject({ test: 'chisquare', drifted: true, classes: ['Adelie', 'Chinstrap', 'Gentoo'], reference: [152, 68, 124], current: [0, 0, 200] });
  });
});
