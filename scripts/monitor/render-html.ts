// The monitoring report: one self-contained HTML file rendered from the
// summary (so summary.json holds every figure shown here). No script, no
// external font, image or stylesheet: it opens offline and from an e-mail.

import type { StattestName } from '../../model/stats/index.ts';
import type { ColumnProfile, DriftColumn, ModelQuality, PredictionDrift } from './analyze.ts';
import type { CheckResult } from './checks.ts';
import { num, pct } from './numbers.ts';
import type { MonitorSummary } from './summary.ts';
import { categoriesSvg, confusionSvg, escapeHtml as h, histogramSvg } from './svg.ts';

export const TEST_NAMES: Record<StattestName, string> = {
  ks: 'Kolmogorov–Smirnov (two-sample)',
  chisquare: 'chi-square',
  z: 'Z-test for proportions',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen–Shannon distance',
};

export const CSS = `
:root { color-scheme: light; --fg: #24292f; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; --pass: #1a7f37; --fail: #cf222e; --skip: #6e7781; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1120px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 6px; }
p, li { max-width: 80ch; }
.muted { color: var(--muted); }
.banner { display: flex; align-items: center; gap: 16px; padding: 16px 20px; border-radius: 8px; color: #fff; margin: 16px 0; }
.banner.pass { background: var(--pass); } .banner.fail { background: var(--fail); }
.banner strong { font-size: 22px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .big { font-size: 24px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eaeef2; font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:last-child td { border-bottom: none; }
.badge { display: inline-block; white-space: nowrap; min-width: 52px; text-align: center; padding: 1px 8px; border-radius: 12px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.skipped { background: var(--skip); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }
.chart-card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.chart-card svg { max-width: 100%; height: auto; display: block; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 8px; padding: 10px 14px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
footer { margin-top: 40px; font-size: 13px; color: var(--muted); }
`;

const badge = (status: 'pass' | 'fail' | 'skipped', text?: string) => `<span class="badge ${status}">${h(text ?? { pass: 'PASS', fail: 'FAIL', skipped: 'SKIPPED' }[status])}</span>`;
const driftBadge = (drifted: boolean | undefined) => (drifted === undefined ? badge('skipped', 'N/A') : drifted ? badge('fail', 'DRIFT') : badge('pass', 'NO DRIFT'));

/** p-values and distances: a figure and its verdict rule, e.g. "p = 0.0012 (drift if < 0.05)". */
function score(t: { test?: StattestName; pvalue?: number; distance?: number; threshold?: number }): string {
  if (t.pvalue !== undefined) return `p = ${num(t.pvalue)} <span class="muted">(drift if ${t.test === 'ks' ? '≤' : '<'} ${num(t.threshold)})</span>`;
  if (t.distance !== undefined) return `distance = ${num(t.distance)} <span class="muted">(drift if ≥ ${num(t.threshold)})</span>`;
  return '–';
}

function checksTable(checks: CheckResult[]): string {
  const rows = checks
    .map((c) => `<tr><td>${badge(c.status)}</td><td>${h(c.name)}</td><td>${h(c.value)}${c.detail ? `<div class="muted">${h(c.detail)}</div>` : ''}</td><td>${h(c.condition)}</td></tr>`)
    .join('');
  return `<table id="checks"><thead><tr><th>status</th><th>check</th><th>value</th><th>condition</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function driftTable(columns: DriftColumn[]): string {
  const rows = columns
    .map((d) => {
      if (d.error) return `<tr><td>${h(d.column)}</td><td>${d.kind}</td><td colspan="4" class="muted">not tested: ${h(d.error)}</td><td>${driftBadge(undefined)}</td><td>–</td></tr>`;
      const statistic = d.statistic === null ? '∞ <span class="muted">(a category absent from the reference)</span>' : num(d.statistic);
      return `<tr><td>${h(d.column)}</td><td>${d.kind}</td><td>${h(TEST_NAMES[d.test!])}</td><td class="num">${statistic}</td><td>${score(d)}</td><td class="num">${d.referenceValues} / ${d.currentValues}</td><td>${driftBadge(d.drifted)}</td><td class="num">${num(d.psi!.value)} ${d.psi!.drifted ? badge('fail', '≥ 0.1') : badge('pass', '< 0.1')}</td></tr>`;
    })
    .join('');
  return `<table id="drift-table"><thead><tr><th>column</th><th>type</th><th>test</th><th class="num">statistic</th><th>p-value / distance (threshold)</th><th class="num">values ref / cur</th><th>verdict</th><th class="num">PSI (threshold ${num(0.1)})</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function driftCharts(columns: DriftColumn[]): string {
  return columns
    .map((d, i) => {
      if (!d.chart) return '';
      const svg =
        d.chart.kind === 'histogram'
          ? histogramSvg(`drift-${i}`, d.column, d.chart.edges, d.chart.reference, d.chart.current)
          : categoriesSvg(`drift-${i}`, d.column, d.chart.categories, d.chart.reference, d.chart.current);
      return `<figure class="chart-card" id="chart-${h(d.column)}" style="margin:0"><h3>${h(d.column)} ${driftBadge(d.drifted)}</h3><div class="muted">${h(TEST_NAMES[d.test!])}: statistic ${d.statistic === null ? '∞' : num(d.statistic)}, ${score(d)}; PSI ${num(d.psi?.value)}</div>${svg}</figure>`;
    })
    .join('');
}

function predictionSection(p: PredictionDrift | { error: string }, target: string): string {
  if ('error' in p) return `<p class="muted">Not computed: ${h(p.error)}</p>`;
  return (
    `<p>Predicted class shares against the reference's ${h(target)} shares (the course's reference sets prediction = ${h(target)}). ${h(TEST_NAMES[p.test])}: statistic ${p.statistic === null ? '∞' : num(p.statistic)}, ${score(p)} ${driftBadge(p.drifted)}</p>` +
    `<div class="charts"><figure class="chart-card" id="chart-prediction" style="margin:0"><h3>prediction</h3>${categoriesSvg('prediction-drift', 'prediction', p.classes, p.reference, p.current)}</figure></div>`
  );
}

function qualitySection(q: ModelQuality | { error: string }): string {
  if ('error' in q) return `<p class="muted">Not computed: ${h(q.error)}</p>`;
  const perClass = q.perClass
    .map((c) => `<tr><td>${h(c.class)}</td><td class="num">${num(c.precision, 3)}</td><td class="num">${num(c.recall, 3)}</td><td class="num">${num(c.f1, 3)}</td><td class="num">${c.support}</td></tr>`)
    .join('');
  return (
    `<div class="cards"><div class="card"><div class="muted">accuracy</div><div class="big">${num(q.accuracy, 4)}</div></div><div class="card"><div class="muted">labeled rows scored</div><div class="big">${q.labeledRows - q.excludedRows}</div>${q.excludedRows ? `<div class="muted">${q.excludedRows} left out (label or prediction not a known class)</div>` : ''}</div></div>` +
    `<div class="charts" style="margin-top:12px"><div><table id="per-class"><thead><tr><th>class</th><th class="num">precision</th><th class="num">recall</th><th class="num">F1</th><th class="num">support</th></tr></thead><tbody>${perClass}</tbody></table></div>` +
    `<figure class="chart-card" id="chart-confusion" style="margin:0"><h3>confusion matrix</h3>${confusionSvg('confusion', q.classes, q.confusion)}</figure></div>`
  );
}

function profileTable(columns: ColumnProfile[]): string {
  const rows = columns
    .map((c) => {
      if (c.kind === 'numeric') {
        const side = (s: typeof c.reference) => `${num(s.mean)} ± ${num(s.std)}<div class="muted">${num(s.min)} – ${num(s.max)}</div>`;
        return `<tr><td>${h(c.column)}${c.present ? '' : ' <span class="muted">(absent)</span>'}</td><td>numeric</td><td>${side(c.reference)}</td><td>${side(c.current)}</td><td class="num">${c.reference.missing} / ${c.current.missing}</td></tr>`;
      }
      const side = (s: typeof c.reference) => Object.entries(s.counts).map(([v, n]) => `${h(v)} ${n}`).join(', ');
      return `<tr><td>${h(c.column)}${c.present ? '' : ' <span class="muted">(absent)</span>'}</td><td>categorical</td><td>${side(c.reference)}</td><td>${side(c.current)}</td><td class="num">${c.reference.missing} / ${c.current.missing}</td></tr>`;
    })
    .join('');
  return `<table id="profile"><thead><tr><th>column</th><th>type</th><th>reference: mean ± std (min – max) or counts</th><th>current</th><th class="num">missing ref / cur</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderReport(s: MonitorSummary): string {
  const a = s.analysis;
  const failed = s.checks.filter((c) => c.status === 'fail');
  const accuracy = 'error' in a.quality ? '–' : num(a.quality.accuracy, 3);
  const period = s.current.from ? `${s.current.from} to ${s.current.to}` : 'unknown';
  const skipped = s.current.skippedRecords.length
    ? `<div class="note"><strong>Captured records that could not be read</strong><ul>${s.current.skippedRecords.map((k) => `<li>${k.count} × ${h(k.reason)} <span class="muted">(e.g. ${h(k.examples.join(', '))})</span></li>`).join('')}</ul></div>`
    : '';
  const unmatched = s.current.unmatchedLabels ? `<p class="note">${s.current.unmatchedLabels} ground truth records matched no captured record in this window, or had a different number of labels than the record had rows.</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Monitoring report: ${h(s.status === 'pass' ? 'all checks pass' : `${failed.length} checks failed`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>Model monitoring report</h1>
<div class="muted">Generated ${h(s.generatedAt)} · captures: <code>${h(s.inputs.datastore)}</code>${s.inputs.groundTruth ? ` · ground truth: <code>${h(s.inputs.groundTruth)}</code>` : ''} · reference: <code>${h(s.inputs.reference)}</code></div>
</header>
<section id="summary">
<div class="banner ${s.status}"><strong>${s.status === 'pass' ? 'PASS' : 'FAIL'}</strong><span>${s.status === 'pass' ? `All ${s.counts.passed} checks passed` : `${s.counts.failed} of ${s.counts.checks} checks failed: ${h(failed.map((c) => c.name).join(', '))}`}${s.counts.skipped ? ` · ${s.counts.skipped} skipped` : ''}</span></div>
<div class="cards">
<div class="card"><div class="muted">current rows</div><div class="big">${s.current.rows}</div><div class="muted">${s.current.records !== null ? `${s.current.records} records · ` : ''}${s.inputs.samples !== null ? `most recent ${s.inputs.samples} requested` : 'all captured'}</div></div>
<div class="card"><div class="muted">reference rows</div><div class="big">${s.reference.rows}</div></div>
<div class="card"><div class="muted">drifted columns</div><div class="big">${a.drift.drifted} / ${a.drift.tested}</div></div>
<div class="card"><div class="muted">accuracy (labeled rows)</div><div class="big">${accuracy}</div><div class="muted">${s.current.labeledRows} labeled</div></div>
</div>
<p class="muted">Captured ${h(period)}.</p>
${skipped}${unmatched}
<h2>Checks</h2>
${checksTable(s.checks)}
</section>
<section id="data-drift">
<h2>Data drift</h2>
<p>Each column is compared with the reference using the test Evidently chooses by default: with a reference of at most 1000 rows, two-sample Kolmogorov–Smirnov for numeric columns and chi-square for categorical ones (a Z-test for two values); above that, the normed Wasserstein distance and the Jensen–Shannon distance. The population stability index (PSI) is given for every column too. ${a.drift.drifted} of ${a.drift.tested} columns drifted.</p>
${driftTable(a.drift.columns)}
<div class="charts" style="margin-top:12px">${driftCharts(a.drift.columns)}</div>
</section>
<section id="prediction-drift">
<h2>Prediction drift</h2>
${predictionSection(a.predictionDrift, s.target.name)}
</section>
<section id="model-quality">
<h2>Model quality</h2>
${qualitySection(a.quality)}
</section>
<section id="data-quality">
<h2>Data quality</h2>
<p>Empty rows: ${a.emptyRows.reference} in the reference, ${a.emptyRows.current} current. Empty columns: ${a.emptyColumns.reference.length ? h(a.emptyColumns.reference.join(', ')) : 'none'} in the reference, ${a.emptyColumns.current.length ? h(a.emptyColumns.current.join(', ')) : 'none'} current. Missing values: ${pct(a.missingCells.referenceShare)} of reference cells (${a.missingCells.reference}), ${pct(a.missingCells.currentShare)} of current cells (${a.missingCells.current}).</p>
${profileTable(a.columns)}
</section>
<footer>
Statistics computed as scipy 1.10 computes them (ks_2samp, chisquare, wasserstein_distance, jensenshannon) with Evidently's default test choice and thresholds. Every figure on this page is in <code>summary.json</code> beside it.
</footer>
</main>
</body>
</html>
`;
}
