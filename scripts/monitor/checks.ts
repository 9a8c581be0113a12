import type { Schema } from '../../model/schema.ts';
import type { Analysis } from './analyze.ts';
import { accuracy, num, pct, plural } from './numbers.ts';
import { THRESHOLDS, tolerance, type Thresholds } from './thresholds.ts';

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface CheckResult {
  id: string;
  /** What is checked, e.g. "Mean of body_mass_g". */
  name: string;
  status: CheckStatus;
  /** The measured value, as shown. */
  value: string;
  /** The condition it must meet, as shown. */
  condition: string;
  /** Why it failed or was skipped, when that needs saying. */
  detail?: string;
}

const verdict = (ok: boolean): CheckStatus => (ok ? 'pass' : 'fail');

/** The column set and each column's type, as the reference has them. */
function columnChecks(schema: Schema, a: Analysis): CheckResult[] {
  const checks: CheckResult[] = [];
  const names = schema.features.map((f) => f.name);
  const absent = a.columns.filter((c) => !c.present).map((c) => c.column);
  checks.push({
    id: 'columns',
    name: 'Column set',
    status: verdict(absent.length === 0),
    value: `${names.length - absent.length} of ${names.length} feature columns`,
    condition: `all of ${names.join(', ')}`,
    ...(absent.length ? { detail: `missing: ${absent.join(', ')}` } : {}),
  });

  const mistyped = a.columns.filter((c) => c.typeMismatches > 0);
  checks.push({
    id: 'column-types',
    name: 'Column types',
    status: verdict(mistyped.length === 0),
    value: mistyped.length ? `${mistyped.length} columns hold values of another type` : 'as the reference',
    condition: 'each column holds the type of the reference (numeric or categorical)',
    ...(mistyped.length ? { detail: mistyped.map((c) => `${c.column}: ${c.typeMismatches} values that are not ${c.kind}`).join('; ') } : {}),
  });
  return checks;
}

/** Empty rows, empty columns and the share of missing values, against the reference's rates. */
function emptinessChecks(a: Analysis, rows: { reference: number; current: number }, thresholds: Thresholds): CheckResult[] {
  const checks: CheckResult[] = [];
  const expectedEmpty = rows.reference ? (a.emptyRows.reference * rows.current) / rows.reference : 0;
  checks.push({
    id: 'empty-rows',
    name: 'Empty rows',
    status: verdict(Math.abs(a.emptyRows.current - expectedEmpty) <= tolerance(expectedEmpty, thresholds)),
    value: String(a.emptyRows.current),
    condition: expectedEmpty === 0 ? '= 0 (as in the reference)' : `= ${num(expectedEmpty, 3)} ± ${pct(thresholds.relative)} (the reference's rate)`,
  });

  checks.push({
    id: 'empty-columns',
    name: 'Empty columns',
    status: verdict(a.emptyColumns.current.length <= a.emptyColumns.reference.length),
    value: a.emptyColumns.current.length ? `${a.emptyColumns.current.length} (${a.emptyColumns.current.join(', ')})` : '0',
    condition: `≤ ${a.emptyColumns.reference.length} (the reference's)`,
  });

  const maxMissing = a.missingCells.referenceShare + tolerance(a.missingCells.referenceShare, thresholds);
  checks.push({
    id: 'missing-share',
    name: 'Share of missing values',
    status: verdict(a.missingCells.currentShare <= maxMissing),
    value: `${pct(a.missingCells.currentShare)} (${a.missingCells.current} cells)`,
    condition: `≤ ${pct(a.missingCells.referenceShare)} + ${pct(thresholds.relative)} of it (the reference's share)`,
  });
  return checks;
}

/** Each numeric mean near the reference's, each categorical value in the known list. */
function valueChecks(a: Analysis, thresholds: Thresholds): CheckResult[] {
  const checks: CheckResult[] = [];
  for (const c of a.columns) {
    if (c.kind !== 'numeric') continue;
    const ref = c.reference.mean;
    const cur = c.current.mean;
    const ok = ref !== null && cur !== null && Math.abs(cur - ref) <= tolerance(ref, thresholds);
    checks.push({
      id: `mean:${c.column}`,
      name: `Mean of ${c.column}`,
      status: verdict(ok),
      value: num(cur),
      condition: ref === null ? 'a reference mean (the reference has no values)' : `within ±${pct(thresholds.relative)} of the reference mean ${num(ref)}: ${num(ref - tolerance(ref, thresholds))} to ${num(ref + tolerance(ref, thresholds))}`,
      ...(cur === null ? { detail: 'no current values' } : {}),
    });
  }

  for (const c of a.columns) {
    if (c.kind !== 'categorical') continue;
    const unknown = Object.entries(c.current.counts).filter(([v]) => !c.known.includes(v));
    const count = unknown.reduce((s, [, n]) => s + n, 0);
    checks.push({
      id: `values:${c.column}`,
      name: `Values of ${c.column}`,
      status: verdict(count === 0),
      value: count ? `${count} rows outside the list` : 'all in the list',
      condition: `one of ${c.known.join(', ')}`,
      ...(count ? { detail: unknown.slice(0, 10).map(([v, n]) => `${JSON.stringify(v)} × ${n}`).join(', ') } : {}),
    });
  }
  return checks;
}

/** How many columns drifted, and accuracy on the labeled rows (skipped while none are). */
function driftAndQualityChecks(a: Analysis, thresholds: Thresholds): CheckResult[] {
  const checks: CheckResult[] = [];
  const drifted = a.drift.columns.filter((d) => d.drifted).map((d) => d.column);
  const untested = a.drift.columns.filter((d) => d.error).map((d) => d.column);
  checks.push({
    id: 'drifted-columns',
    name: 'Drifted columns',
    status: verdict(drifted.length <= thresholds.maxDriftedColumns),
    value: `${drifted.length} of ${a.drift.tested}${drifted.length ? ` (${drifted.join(', ')})` : ''}`,
    condition: `≤ ${thresholds.maxDriftedColumns}`,
    ...(untested.length ? { detail: `not tested: ${untested.join(', ')}` } : {}),
  });

  if ('error' in a.quality) {
    checks.push({ id: 'accuracy', name: 'Accuracy on labeled rows', status: 'skipped', value: '–', condition: `≥ ${thresholds.minAccuracy}`, detail: a.quality.error });
  } else {
    checks.push({
      id: 'accuracy',
      name: 'Accuracy on labeled rows',
      status: verdict(a.quality.accuracy >= thresholds.minAccuracy),
      value: `${accuracy(a.quality.accuracy)} (${plural(a.quality.labeledRows - a.quality.excludedRows, 'row')})`,
      condition: `≥ ${thresholds.minAccuracy}`,
    });
  }
  return checks;
}

/**
 * The checks the course runs with Evidently's presets, each with Evidently's
 * default condition derived from the reference:
 * columns and types equal the reference's; empty rows = the reference's rate
 * (±10%); empty columns ≤ the reference's; share of missing values ≤ the
 * reference's (+10%); each numeric mean within ±10% of the reference mean;
 * categorical values within the known list; drifted columns ≤ 0; accuracy on
 * labeled rows ≥ 0.9 (skipped while nothing is labeled).
 */
export function runChecks(schema: Schema, a: Analysis, rows: { reference: number; current: number }, thresholds: Thresholds = THRESHOLDS): CheckResult[] {
  return [...columnChecks(schema, a), ...emptinessChecks(a, rows, thresholds), ...valueChecks(a, thresholds), ...driftAndQualityChecks(a, thresholds)];
}
