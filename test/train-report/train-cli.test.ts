// `rookery train` run as a user runs it, in a temp registry: report.html is
// written beside the artifact and shows the figures metrics.json and
// model.json hold, with the rounding the report promises (scores to four
// decimals, shares to one decimal percent, coefficients to three decimals).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { coefficientTable } from '../../model/coefficients.ts';
import type { Metrics } from '../../model/artifact.ts';
import type { ModelParams } from '../../model/predictor.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { chartTexts, tableRows } from './html.ts';

const tempDir = useTempDirs('rookery-train-report-');
const f4 = (x: number) => x.toFixed(4);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

describe('rookery train writes report.html', () => {
  let registry: string;
  let out: string;
  let trained: CliResult;
  let html: string;
  let metrics: Required<Metrics>;

  beforeAll(async () => {
    const work = tempDir();
    registry = join(work, 'registry');
    out = join(work, 'out');
    trained = await runCli(['train', '--registry', registry, '--out', out, '--accuracy-threshold', '0.9']);
    html = readFileSync(join(out, 'report.html'), 'utf8');
    metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  }, 60_000);

  it('beside the artifact in --out and in the registered version, and says where', () => {
    expect(trained.code, trained.stderr).toBe(0);
    const version = join(registry, 'penguins', 'versions', '1');
    expect(readFileSync(join(version, 'report.html'), 'utf8')).toBe(html);
    expect(trained.stdout).toContain(`training report: ${join(version, 'report.html')}\n`);
    expect(trained.stdout).toContain(`training report: ${join(out, 'report.html')}\n`);
    expect(html).toMatch(/^<!doctype html>/);
    // Nothing to fetch: no script, stylesheet, image or font; the only URL is SVG's namespace name.
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:\/\//);
  });

  it('shows the data: rows, class balance and missing values per column, as metrics.json records them', () => {
    const data = metrics.data;
    expect(data.rows).toBe(344);
    expect(data.classes.map((c) => c.count)).toEqual([152, 68, 124]);
    expect(html).toContain('344 rows of <code>');
    expect(tableRows(html, 'missing')).toEqual(data.missing.map((m) => [m.column, m.type, String(m.missing), pct(m.share)]));
    const balance = chartTexts(html, 'class-balance');
    for (const c of data.classes) expect(balance).toContain(`${c.count} (${pct(c.share)})`);
    const total = data.missing.reduce((a, m) => a + m.missing, 0);
    expect(html).toContain(`${total} missing values across 6 feature columns`);
  });

  it('shows each fold and the mean ± std of cross-validation', () => {
    const e = metrics.evaluation;
    expect(tableRows(html, 'folds')).toEqual(e.folds.map((f) => [`fold ${f.fold + 1}`, String(f.trainSize), String(f.testSize), f4(f.accuracy)]));
    expect(tableRows(html, 'folds', 'tfoot')).toEqual([['mean ± std', '', '', `${f4(e.accuracyMean)} ± ${f4(e.accuracyStd)}`]]);
    const chart = chartTexts(html, 'fold-accuracy');
    expect(chart).toEqual(expect.arrayContaining([...e.folds.map((f) => f4(f.accuracy)), 'threshold 0.9', `mean ${f4(e.accuracyMean)}`]));
  });

  it('shows per-class precision, recall and F1 and the confusion matrix of the out-of-fold predictions', () => {
    const r = metrics.evaluation.report;
    expect(tableRows(html, 'per-class-table')).toEqual(r.perClass.map((c) => [c.class, f4(c.precision), f4(c.recall), f4(c.f1), String(c.support)]));
    const cells = chartTexts(html, 'confusion-matrix');
    // After the header ("predicted" and the class names), each true class's label and its counts.
    expect(cells.slice(1 + r.classes.length, -1)).toEqual(r.classes.flatMap((c, i) => [c, ...r.confusion[i].map(String)]));
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(344);
  });

  it("shows the coefficients of model.json's classifier per input and class", () => {
    const params = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as ModelParams;
    const table = coefficientTable(params);
    const texts = chartTexts(html, 'coefficients');
    expect(texts.slice(0, 3)).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    const rows = [...table.inputs.map((i, j) => [i.label, ...table.weights[j]]), ['intercept', ...table.intercepts]];
    expect(texts.slice(3)).toEqual(rows.flatMap(([label, ...w]) => [label, ...(w as number[]).map((x) => x.toFixed(3))]));
    expect(texts).toContain('island = Biscoe');
  });

  it('gives the decision on the threshold and why', () => {
    const accuracy = f4(metrics.evaluation.accuracyMean);
    expect(tableRows(html, 'checks')).toEqual([['mean cross-validated accuracy ≥ threshold', accuracy, '0.9', 'PASS', 'registered']]);
    expect(html).toContain(`cross-validated accuracy ${accuracy} meets the threshold 0.9: registered as a new version of penguins and alias champion moved to it`);
    expect(html).toContain('<title>Training report: penguins, accuracy');
  });

  it('models show prints where the version\'s report is', async () => {
    const shown = await runCli(['models', 'show', 'penguins@champion', '--registry', registry]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`  report:    ${join(registry, 'penguins', 'versions', '1', 'report.html')}\n`);
  });
});

describe('a model below the threshold', () => {
  it('keeps its report in --out, saying it was not registered and why', async () => {
    const out = join(tempDir(), 'out');
    const result = await runCli(['train', '--registry', join(tempDir(), 'registry'), '--out', out, '--accuracy-threshold', '0.999']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rookery: cross-validated accuracy 0\.9\d{3} is below the threshold 0\.999: the model was not registered\n$/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const [check] = tableRows(html, 'checks');
    expect(check.slice(2)).toEqual(['0.999', 'FAIL', 'not registered']);
    expect(html).toContain('<div class="banner fail"><strong>FAIL</strong>');
  });

  it('without --out says how to keep the report', async () => {
    const result = await runCli(['train', '--registry', join(tempDir(), 'registry'), '--accuracy-threshold', '0.999']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the model was not registered; pass --out DIR to keep the model and its report\.html\n$/);
  });

  it('with --no-register leaves registering to a later step', async () => {
    const out = join(tempDir(), 'out');
    const result = await runCli(['train', '--no-register', '--out', out, '--registry', join(tempDir(), 'registry')]);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(tableRows(readFileSync(join(out, 'report.html'), 'utf8'), 'checks')[0].slice(3)).toEqual(['PASS', 'left for a later step to register']);
  });
});
