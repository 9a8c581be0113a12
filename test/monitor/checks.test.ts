// Each check of the monitor passing on a clean sample of the reference, and
// failing on data broken in the one way it watches for.
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../model/random.ts';
import { analyze } from '../../scripts/monitor/analyze.ts';
import type { CaptureColumns } from '../../scripts/monitor/capture-reader.ts';
import { runChecks, type CheckResult } from '../../scripts/monitor/checks.ts';
import { loadReference } from '../../scripts/monitor/reference.ts';
import { columnsOf, completeRows, DATA_PATH, schema, type TestRow } from './fixtures.ts';

const reference = loadReference(DATA_PATH, schema);

/** 200 complete reference rows drawn with a seed, predicted and labeled correctly. */
function cleanRows(seed = 3, n = 200): TestRow[] {
  const pool = completeRows();
  const random = createRandom(seed);
  return Array.from({ length: n }, () => {
    const { row, species } = pool[Math.floor(random() * pool.length)];
    return { row: { ...row }, prediction: species, label: species };
  });
}

function checks(current: CaptureColumns): Map<string, CheckResult> {
  const result = runChecks(schema, analyze(schema, reference, current), { reference: reference.size, current: current.size });
  return new Map(result.map((c) => [c.id, c]));
}

function failing(current: CaptureColumns): string[] {
  return [...checks(current).values()].filter((c) => c.status === 'fail').map((c) => c.id);
}

describe('checks', () => {
  it('all pass on a clean sample of the reference', () => {
    const all = checks(columnsOf(cleanRows()));
    expect([...all.values()].filter((c) => c.status !== 'pass')).toEqual([]);
    expect([...all.keys()]).toEqual([
      'columns',
      'column-types',
      'empty-rows',
      'empty-columns',
      'missing-share',
      'mean:culmen_length_mm',
      'mean:culmen_depth_mm',
      'mean:flipper_length_mm',
      'mean:body_mass_g',
      'values:island',
      'values:sex',
      'drifted-columns',
      'accuracy',
    ]);
  });

  it('column set: fails when a feature column is absent from the store', () => {
    const c = checks(columnsOf(cleanRows(), { missingColumns: ['sex'] })).get('columns')!;
    expect(c.status).toBe('fail');
    expect(c.detail).toBe('missing: sex');
  });

  it('column types: fails when a column holds values of another type', () => {
    const current = columnsOf(cleanRows());
    current.typeMismatches.body_mass_g = 3;
    const c = checks(current).get('column-types')!;
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('body_mass_g: 3 values');
  });

  it('empty rows: fails when a row has no feature at all (the reference has none)', () => {
    const rows = cleanRows();
    rows.push({ row: Object.fromEntries(schema.features.map((f) => [f.name, null])), prediction: 'Adelie', label: 'Adelie' });
    expect(checks(columnsOf(rows)).get('empty-rows')).toMatchObject({ status: 'fail', value: '1', condition: '= 0 (as in the reference)' });
  });

  it('empty columns: fails when a column has no value at all', () => {
    const rows = cleanRows().map((r) => ({ ...r, row: { ...r.row, sex: null } }));
    expect(checks(columnsOf(rows)).get('empty-columns')).toMatchObject({ status: 'fail', value: '1 (sex)' });
  });

  it('share of missing values: fails above the reference share + 10%', () => {
    const rows = cleanRows();
    for (let i = 0; i < 20; i++) rows[i].row.culmen_depth_mm = null;
    const c = checks(columnsOf(rows)).get('missing-share')!;
    expect(c.status).toBe('fail');
    expect(c.value).toBe('1.7% (20 cells)');
    // 19 missing cells of 344 × 6 in the reference: 0.92%, so up to 1.01% passes.
    const fewer = cleanRows();
    fewer[0].row.culmen_depth_mm = null;
    fewer[1].row.sex = null;
    expect(checks(columnsOf(fewer)).get('missing-share')!.status).toBe('pass');
  });

  it('numeric means: each fails outside ±10% of the reference mean, alone', () => {
    const rows = cleanRows().map((r) => ({ ...r, row: { ...r.row, flipper_length_mm: (r.row.flipper_length_mm as number) * 1.15 } }));
    const all = checks(columnsOf(rows));
    expect(all.get('mean:flipper_length_mm')!.status).toBe('fail');
    expect(all.get('mean:culmen_length_mm')!.status).toBe('pass');
    expect(all.get('mean:flipper_length_mm')!.condition).toMatch(/^within ±10\.0% of the reference mean 200\.9: 180\.8 to 221/);
  });

  it('categorical values: island fails on a value outside the known list', () => {
    const rows = cleanRows();
    rows[0].row.island = 'Atlantis';
    rows[1].row.island = 'Atlantis';
    const c = checks(columnsOf(rows)).get('values:island')!;
    expect(c).toMatchObject({ status: 'fail', value: '2 rows outside the list', detail: '"Atlantis" × 2' });
    expect(checks(columnsOf(rows)).get('values:sex')!.status).toBe('pass');
  });

  it('drifted columns: fails when a column drifts (0 allowed)', () => {
    const rows = cleanRows().map((r) => ({ ...r, row: { ...r.row, body_mass_g: (r.row.body_mass_g as number) + 300 } }));
    const all = checks(columnsOf(rows));
    expect(all.get('drifted-columns')).toMatchObject({ status: 'fail', value: '1 of 6 (body_mass_g)' });
    // +300 g is within 10% of the mean: only the drift test sees it.
    expect(all.get('mean:body_mass_g')!.status).toBe('pass');
  });

  it('accuracy: fails below 0.9 on labeled rows, and is skipped while nothing is labeled', () => {
    const rows = cleanRows();
    for (let i = 0; i < 30; i++) rows[i].label = rows[i].prediction === 'Adelie' ? 'Gentoo' : 'Adelie';
    expect(checks(columnsOf(rows)).get('accuracy')).toMatchObject({ status: 'fail', value: '0.8500 (200 rows)' });
    const unlabeled = cleanRows().map((r) => ({ ...r, label: null }));
    const skipped = checks(columnsOf(unlabeled)).get('accuracy')!;
    expect(skipped.status).toBe('skipped');
    expect(skipped.detail).toMatch(/no labeled rows yet/);
  });

  it('only the broken check fails; a category the reference never had also drifts its column (chi-square is infinite, as scipy gives it)', () => {
    const mistyped = columnsOf(cleanRows());
    mistyped.typeMismatches.culmen_depth_mm = 1;
    expect(failing(mistyped)).toEqual(['column-types']);

    const rows = cleanRows();
    rows[5].row.island = 'Atlantis';
    expect(failing(columnsOf(rows))).toEqual(['values:island', 'drifted-columns']);
    const island = analyze(schema, reference, columnsOf(rows)).drift.columns.find((d) => d.column === 'island')!;
    expect(island).toMatchObject({ test: 'chisquare', statistic: null, pvalue: 0, drifted: true });
  });
});
