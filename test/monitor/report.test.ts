// The report files: a self-contained HTML page and a summary.json holding
// every figure it shows; exit statuses 0 / 1 / 2 and --no-fail.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { monitorExitCode } from '../../scripts/commands/monitor.ts';
import { detectDrift, modeSorted, quantileSorted } from '../../model/stats/index.ts';
import { num, pct } from '../../scripts/monitor/numbers.ts';
import { runMonitor } from '../../scripts/monitor/run.ts';
import type { MonitorSummary } from '../../scripts/monitor/summary.ts';
import { sampleTraffic } from '../../scripts/traffic/sample.ts';
import { data, DATA_PATH, record, SCHEMA_PATH, scratch, writeSqlite } from './fixtures.ts';

/** A capture store of 200 traffic rows predicted as their true species, optionally labeled with it. */
async function store(drift: boolean, labeled = false): Promise<string> {
  const path = join(scratch(), 'captures.db');
  const { rows } = sampleTraffic(data, { samples: 200, seed: 42, drift });
  const truth = new Map<string, string>();
  for (let i = 0; i < data.size; i++) truth.set(`${data.numeric.culmen_length_mm[i]}/${data.numeric.flipper_length_mm[i]}`, data.schema.target.classes[data.target![i]]);
  const predictions = rows.map((r) => truth.get(`${r.culmen_length_mm}/${r.flipper_length_mm}`) ?? 'Adelie');
  const records = [];
  for (let i = 0; i < rows.length; i += 10) records.push(record(rows.slice(i, i + 10), predictions.slice(i, i + 10), new Date(Date.UTC(2025, 2, 1, 10, 0, i))));
  await writeSqlite(path, records);
  if (labeled) {
    const db = new Database(path);
    db.exec("UPDATE data SET species = prediction WHERE rowid % 2 = 0");
    db.close();
  }
  return path;
}

const request = (datastore: string, outDir: string) => ({ datastore: `sqlite:///${datastore}`, referencePath: DATA_PATH, schemaPath: SCHEMA_PATH, outDir });

describe('monitoring report', () => {
  it('writes a self-contained report.html and a summary.json with every figure it shows', async () => {
    const out = scratch();
    const { summary, htmlPath, jsonPath } = await runMonitor(request(await store(true, true), out));
    expect(htmlPath).toBe(join(out, 'report.html'));
    const html = readFileSync(htmlPath, 'utf8');
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as MonitorSummary;
    expect(json).toEqual(JSON.parse(JSON.stringify(summary)));

    // Opens offline: no script, nothing loaded from anywhere (the SVG namespace is a name, not a fetch).
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain("default-src 'none'");
    // Per column a thumbnail and a distribution chart, per numeric column its values over time; the prediction shares, the confidence and the confusion matrix.
    expect(html.match(/<svg class="chart"/g)).toHaveLength(6 * 2 + 4 + 3);

    expect(json.status).toBe('fail');
    expect(json.current).toMatchObject({ rows: 200, labeledRows: 100, from: '2025-03-01T10:00:00.000Z', to: '2025-03-01T10:03:10.000Z' });
    for (const check of json.checks) {
      expect(html).toContain(check.name);
      expect(html).toContain(check.value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;'));
    }
    for (const d of json.analysis.drift.columns) {
      expect(html).toContain(num(d.statistic));
      expect(html).toContain(num(d.pvalue ?? d.distance));
      expect(html).toContain(num(d.psi!.value));
    }
    const drifted = json.analysis.drift.columns.filter((d) => d.drifted).map((d) => d.column);
    expect(drifted).toEqual(['body_mass_g']);
    const quality = json.analysis.quality as Exclude<MonitorSummary['analysis']['quality'], { error: string }>;
    expect(quality).toMatchObject({ labeledRows: 100, excludedRows: 0, accuracy: 1 });
    expect(quality.confusion.flat().reduce((x, y) => x + y, 0)).toBe(100);
    for (const c of quality.perClass) expect(html).toContain(`<td>${c.class}</td><td class="num">${num(c.precision, 3)}</td>`);
    expect(json.checks.find((c) => c.id === 'accuracy')).toMatchObject({ status: 'pass', value: '1.0000 (100 rows)' });
  });

  it("shows summary.json's figures: the verdict, the actions, quantiles, most common values, confidence, label sources", async () => {
    const { summary: s, htmlPath } = await runMonitor(request(await store(true, true), scratch()));
    const html = readFileSync(htmlPath, 'utf8');
    const text = html.replace(/<[^>]+>/g, '');
    const d = s.verdict.datasetDrift;
    expect(d).toEqual({ share: 1 / 6, threshold: 0.5, drifted: false });
    expect(text).toContain(`1 of 6 columns drifted (${pct(d.share)}); the dataset drifts when ${pct(0.5)} or more do: no dataset drift.`);
    expect(s.verdict.actions.map((a) => a.checks)).toEqual([['drifted-columns', 'mean:body_mass_g']]);
    for (const a of s.verdict.actions) for (const part of [a.title, a.reading, a.next]) expect(html).toContain(part.replaceAll("'", '&#39;'));
    for (const c of s.analysis.columns) {
      if (c.kind === 'numeric') {
        for (const v of Object.values(c.current.quantiles!)) expect(text).toContain(num(v));
        expect(text).toContain(`most common ${num(c.current.mostCommon!.value)} (${c.current.mostCommon!.count} row${c.current.mostCommon!.count === 1 ? '' : 's'})`);
      } else {
        expect(text).toContain(`most common ${c.current.mostCommon!.value} (${c.current.mostCommon!.count} rows)`);
        expect(c.newCategories).toEqual([]);
      }
    }
    const confidence = s.analysis.confidence as Exclude<typeof s.analysis.confidence, { error: string }>;
    expect(confidence.count).toBe(200);
    expect(confidence.mean).toBeCloseTo(0.9, 12);
    expect(confidence.counts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(text).toContain(`mean ${num(0.9, 3)} over 200 rows`);
    // The labels were written by hand, not by 'rookery label': their source is unknown, none simulated.
    expect(s.labels).toEqual({ labeled: 100, simulated: 0, fromDataset: 0, unknown: 100 });
    // No --model: the training accuracy is unknown, today's is shown beside it.
    expect(text).toContain(`– → ${num(1, 3)}`);
    expect(text).toContain('not given: pass --model to name it');
  });

  it("summary.json's figures are the statistics module's over the same values", async () => {
    const path = await store(true, true);
    const { summary: s } = await runMonitor(request(path, scratch()));
    const db = new Database(path, { readonly: true });
    const current = (c: string) => (db.prepare(`SELECT ${c} FROM data WHERE ${c} IS NOT NULL`).pluck().all() as (number | string)[]);
    for (const d of s.analysis.drift.columns) {
      const reference = d.kind === 'numeric' ? Array.from(data.numeric[d.column]).filter((v) => !Number.isNaN(v)) : data.categorical[d.column].filter((v): v is string => v !== null);
      const result = detectDrift(d.kind === 'numeric' ? { kind: 'numeric', reference, current: current(d.column) as number[] } as never : { kind: 'categorical', reference, current: current(d.column) as string[] } as never);
      expect(d).toMatchObject({ test: result.test, drifted: result.drifted, ...('pvalue' in result ? { pvalue: result.pvalue } : { distance: result.distance }) });
    }
    for (const c of s.analysis.columns) {
      if (c.kind !== 'numeric') continue;
      const sorted = Float64Array.from(current(c.column) as number[]).sort();
      expect(c.current.quantiles).toEqual({ p5: quantileSorted(sorted, 0.05), p25: quantileSorted(sorted, 0.25), p50: quantileSorted(sorted, 0.5), p75: quantileSorted(sorted, 0.75), p95: quantileSorted(sorted, 0.95) });
      expect(c.current.mostCommon).toEqual(modeSorted(sorted));
    }
    db.close();
  });

  it('says so instead of drawing model quality while nothing is labeled', async () => {
    const { summary, htmlPath } = await runMonitor(request(await store(false), scratch()));
    const html = readFileSync(htmlPath, 'utf8');
    expect(summary.checks.find((c) => c.id === 'accuracy')!.status).toBe('skipped');
    expect(html).toContain('Not computed: no labeled rows yet');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(6 * 2 + 4 + 2);
  });

  it('exit status: 1 when a check fails, 0 with --no-fail, 0 when all pass', async () => {
    const lines: string[] = [];
    expect(await monitorExitCode(request(await store(true), scratch()), true, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toMatch(/FAIL\s+Drifted columns\s+1 of 6 \(body_mass_g\)/);
    expect(await monitorExitCode(request(await store(true), scratch()), false, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toBe('--no-fail: exiting 0 although checks failed');
    const clean: string[] = [];
    expect(await monitorExitCode(request(await store(false), scratch()), true, (l) => clean.push(l))).toBe(0);
    expect(clean.join('\n')).toMatch(/0 of 13 checks failed, 1 skipped/);
  });

  it('exit status 2 when the reference cannot be read', async () => {
    await expect(monitorExitCode({ ...request(await store(false), scratch()), referencePath: '/nonexistent/penguins.csv' }, true, () => {})).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/\/nonexistent\/penguins\.csv/),
    });
  });
});
