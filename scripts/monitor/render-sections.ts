// The monitoring report's sections, each from the summary alone (so every
// figure on the page is one summary.json holds, formatted by numbers.ts).

import type { StattestName } from '../../model/stats/index.ts';
import type { ColumnProfile, DriftColumn, ModelQuality, NumericStats, PredictionDrift } from './analyze.ts';
import type { CheckResult } from './checks.ts';
import { accuracy, num, pct, plural } from './numbers.ts';
import type { MonitorSummary } from './summary.ts';
import { categoriesSvg, confusionSvg, distributionSvg, escapeHtml as h, histogramSvg, miniChartSvg, overTimeSvg } from './svg.ts';

export const TEST_NAMES: Record<StattestName, string> = {
  ks: 'Kolmogorov–Smirnov (two-sample)',
  chisquare: 'chi-square',
  z: 'Z-test for proportions',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen–Shannon distance',
};

/** Counts with thousands separators everywhere on the page. */
export const count = (n: number) => n.toLocaleString('en-US');

export const badge = (status: 'pass' | 'fail' | 'skipped', text?: string) => `<span class="badge ${status}">${h(text ?? { pass: 'PASS', fail: 'FAIL', skipped: 'SKIPPED' }[status])}</span>`;
const driftBadge = (drifted: boolean | undefined) => (drifted === undefined ? badge('skipped', 'N/A') : drifted ? badge('fail', 'DRIFT') : badge('pass', 'NO DRIFT'));
const figure = (id: string, title: string, body: string) => `<figure class="chart-card" id="${h(id)}"><h3>${title}</h3>${body}</figure>`;

/** p-values and distances: a figure and its verdict rule, e.g. "p = 0.0012 (drift if < 0.05)". */
function score(t: { test?: StattestName; pvalue?: number; distance?: number; threshold?: number }): string {
  if (t.pvalue !== undefined) return `p = ${num(t.pvalue)} <span class="muted">(drift if ${t.test === 'ks' ? '≤' : '<'} ${num(t.threshold)})</span>`;
  if (t.distance !== undefined) return `distance = ${num(t.distance)} <span class="muted">(drift if ≥ ${num(t.threshold)})</span>`;
  return '–';
}

/** The dataset-level verdict, then one plain-words action per kind of failure. */
export function verdictSection(s: MonitorSummary): string {
  const d = s.verdict.datasetDrift;
  const a = s.analysis;
  const line = `${count(a.drift.drifted)} of ${plural(a.drift.tested, 'column')} drifted (${pct(d.share)}); the dataset drifts when ${pct(d.threshold)} or more do: ${d.drifted ? '<strong>dataset drift detected</strong>' : 'no dataset drift'}.`;
  const actions = s.verdict.actions
    .map((x) => `<li><strong>${h(x.title)}</strong><div>${h(x.reading)}</div><div><em>Next:</em> ${h(x.next)}${x.command ? ` <code>${h(x.command)}</code>` : ''}</div></li>`)
    .join('');
  return (
    `<div class="banner ${s.status}"><strong>${s.status === 'pass' ? 'PASS' : 'FAIL'}</strong><span>${s.status === 'pass' ? `All ${plural(s.counts.passed, 'check')} passed` : `${count(s.counts.failed)} of ${plural(s.counts.checks, 'check')} failed`}${s.counts.skipped ? ` · ${count(s.counts.skipped)} skipped` : ''}</span></div>` +
    `<p id="dataset-drift" class="verdict">${line}</p>` +
    (actions ? `<h2>What to do</h2><ol id="actions" class="actions">${actions}</ol>` : '<p id="actions">Nothing to do: every check passed.</p>')
  );
}

/** Which model, its training accuracy beside today's, the period, and where the labels came from. */
export function factsCards(s: MonitorSummary): string {
  const m = s.model;
  const current = 'error' in s.analysis.quality ? '–' : accuracy(s.analysis.quality.accuracy);
  const period = s.current.from ? `${h(s.current.from.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}<br>to ${h(s.current.to!.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}` : 'unknown (no capture times)';
  const l = s.labels;
  const labels = l.labeled === 0 ? 'none yet' : l.simulated === l.labeled ? 'all simulated' : l.simulated ? `${count(l.simulated)} simulated, ${count(l.fromDataset)} true` : l.unknown === l.labeled ? 'from ground truth' : `${count(l.fromDataset)} true`;
  const card = (id: string, label: string, big: string, note: string) => `<div class="card" id="${id}"><div class="muted">${label}</div><div class="big">${big}</div><div class="muted">${note}</div></div>`;
  return (
    '<div class="cards">' +
    card('card-model', 'model', m ? h(`${m.name}${m.version !== null ? ` v${m.version}` : ''}`) : '–', m ? h(m.origin) : 'not given: pass --model to name it') +
    card('card-accuracy', 'accuracy: training → now', `${accuracy(m?.trainingAccuracy)} → ${current}`, `now on ${plural(l.labeled, 'labeled row')}`) +
    card('card-rows', 'rows', `${count(s.current.rows)}`, `current${s.current.records !== null ? ` (${plural(s.current.records, 'request')})` : ''}; reference ${count(s.reference.rows)}`) +
    card('card-period', 'captured', '', period) +
    card('card-labels', 'labels', h(labels), l.simulated ? "simulated by 'rookery label': the prediction kept at a set rate, so accuracy measures the simulation" : l.labeled ? 'ground truth' : "run 'rookery label' or add ground truth") +
    '</div>'
  );
}

export function checksTable(checks: CheckResult[]): string {
  const rows = checks
    .map((c) => `<tr><td>${badge(c.status)}</td><td>${h(c.name)}</td><td>${h(c.value)}${c.detail ? `<div class="muted">${h(c.detail)}</div>` : ''}</td><td>${h(c.condition)}</td></tr>`)
    .join('');
  return `<table id="checks"><thead><tr><th>status</th><th>check</th><th>value</th><th>condition</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const chartCounts = (d: DriftColumn) => (d.chart ? { reference: d.chart.reference, current: d.chart.current } : null);

/** One row per column: its thumbnail, test, score, PSI and verdict. */
export function driftTable(columns: DriftColumn[], psiThreshold: number): string {
  const rows = columns
    .map((d, i) => {
      const name = `<td><strong>${h(d.column)}</strong><div class="muted">${d.kind}</div></td>`;
      if (d.error) return `<tr>${name}<td>–</td><td colspan="2" class="muted">not tested: ${h(d.error)}</td><td>${driftBadge(undefined)}</td></tr>`;
      const counts = chartCounts(d);
      const thumb = counts ? miniChartSvg(`mini-${i}`, d.column, counts.reference, counts.current) : '–';
      const statistic = d.statistic === null ? '∞ <span class="muted">(a category absent from the reference)</span>' : num(d.statistic);
      const psi = `PSI ${num(d.psi!.value)} ${d.psi!.drifted ? badge('fail', `≥ ${num(psiThreshold)}`) : badge('pass', `< ${num(psiThreshold)}`)}`;
      return `<tr>${name}<td class="thumb">${thumb}</td><td>${h(TEST_NAMES[d.test!])}<div>statistic ${statistic}</div><div>${score(d)}</div><div class="muted">${count(d.referenceValues)} reference / ${count(d.currentValues)} current values</div></td><td>${psi}</td><td>${driftBadge(d.drifted)}</td></tr>`;
    })
    .join('');
  return `<table id="drift-table"><thead><tr><th>column</th><th>distribution</th><th>test</th><th>PSI</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Per column: the distribution against the reference's, and a numeric column's mean over time against the reference band. */
export function driftCharts(s: MonitorSummary): string {
  const a = s.analysis;
  return a.drift.columns
    .map((d, i) => {
      if (!d.chart) return '';
      const svg =
        d.chart.kind === 'histogram'
          ? histogramSvg(`drift-${i}`, d.column, d.chart.edges, d.chart.reference, d.chart.current)
          : categoriesSvg(`drift-${i}`, d.column, d.chart.categories, d.chart.reference, d.chart.current);
      const profile = a.columns.find((c) => c.column === d.column);
      const series = a.overTime?.columns.find((c) => c.column === d.column);
      const over =
        a.overTime && series && profile?.kind === 'numeric' && profile.reference.mean !== null && series.mean.some((m) => m !== null)
          ? overTimeSvg(`time-${i}`, d.column, a.overTime.starts, a.overTime.to, series.mean, { mean: profile.reference.mean, std: profile.reference.std ?? 0 })
          : '';
      return figure(`chart-${d.column}`, `${h(d.column)} ${driftBadge(d.drifted)}`, `<div class="muted">${h(TEST_NAMES[d.test!])}: ${score(d)}; PSI ${num(d.psi?.value)}</div>${svg}${over}`);
    })
    .join('');
}

export function predictionSection(p: PredictionDrift | { error: string }, s: MonitorSummary): string {
  const c = s.analysis.confidence;
  const confidence =
    'error' in c
      ? `<p class="muted">Confidence: not shown: ${h(c.error)}</p>`
      : figure('chart-confidence', `confidence <span class="muted">(mean ${num(c.mean, 3)} over ${plural(c.count, 'row')})</span>`, distributionSvg('confidence', 'confidence of the predicted class', c.edges, c.counts));
  if ('error' in p) return `<p class="muted">Prediction drift: not computed: ${h(p.error)}</p><div class="charts">${confidence}</div>`;
  return (
    `<p>Predicted class shares against the reference's ${h(s.target.name)} shares (the course's reference sets prediction = ${h(s.target.name)}). ${h(TEST_NAMES[p.test])}: statistic ${p.statistic === null ? '∞' : num(p.statistic)}, ${score(p)} ${driftBadge(p.drifted)}</p>` +
    `<div class="charts">${figure('chart-prediction', 'prediction', categoriesSvg('prediction-drift', 'prediction', p.classes, p.reference, p.current))}${confidence}</div>`
  );
}

export function qualitySection(q: ModelQuality | { error: string }, s: MonitorSummary): string {
  if ('error' in q) return `<p class="muted">Not computed: ${h(q.error)}</p>`;
  const perClass = q.perClass
    .map((c) => `<tr><td>${h(c.class)}</td><td class="num">${num(c.precision, 3)}</td><td class="num">${num(c.recall, 3)}</td><td class="num">${num(c.f1, 3)}</td><td class="num">${count(c.support)}</td></tr>`)
    .join('');
  const scored = q.labeledRows - q.excludedRows;
  const simulated = s.labels.simulated ? `<p class="note">${plural(s.labels.simulated, 'label')} of ${count(s.labels.labeled)} ${s.labels.simulated === 1 ? 'was' : 'were'} simulated by <code>rookery label</code> (the prediction kept at a set rate, another class otherwise): this accuracy measures that simulation, not the model.</p>` : '';
  return (
    simulated +
    `<div class="cards"><div class="card"><div class="muted">accuracy now</div><div class="big">${accuracy(q.accuracy)}</div><div class="muted">at training: ${accuracy(s.model?.trainingAccuracy)}</div></div><div class="card"><div class="muted">labeled rows scored</div><div class="big">${count(scored)}</div>${q.excludedRows ? `<div class="muted">${plural(q.excludedRows, 'row')} left out (label or prediction not a known class)</div>` : ''}</div></div>` +
    `<div class="charts" style="margin-top:12px"><div><table id="per-class"><thead><tr><th>class</th><th class="num">precision</th><th class="num">recall</th><th class="num">F1</th><th class="num">support</th></tr></thead><tbody>${perClass}</tbody></table></div>` +
    figure('chart-confusion', 'confusion matrix', confusionSvg('confusion', q.classes, q.confusion)) +
    '</div>'
  );
}

function numericCell(n: NumericStats): string {
  if (n.count === 0) return `<span class="muted">no values</span>`;
  const q = n.quantiles!;
  return (
    `<div>mean ${num(n.mean)} ± ${num(n.std)}</div>` +
    `<div class="muted">min ${num(n.min)} · p5 ${num(q.p5)} · p25 ${num(q.p25)} · median ${num(q.p50)} · p75 ${num(q.p75)} · p95 ${num(q.p95)} · max ${num(n.max)}</div>` +
    `<div class="muted">most common ${num(n.mostCommon!.value)} (${plural(n.mostCommon!.count, 'row')}) · missing ${count(n.missing)}</div>`
  );
}

/** Per column: reference and current side by side (quantiles or counts, most common value, missing, new categories). */
export function profileTable(columns: ColumnProfile[]): string {
  const rows = columns
    .map((c) => {
      const name = `<td><strong>${h(c.column)}</strong><div class="muted">${c.kind}${c.present ? '' : ', absent'}</div></td>`;
      if (c.kind === 'numeric') return `<tr>${name}<td>${numericCell(c.reference)}</td><td>${numericCell(c.current)}</td></tr>`;
      const side = (s: typeof c.reference, extra = '') =>
        `<div>${Object.entries(s.counts).map(([v, n]) => `${h(v)} ${count(n)}`).join(' · ')}</div><div class="muted">most common ${s.mostCommon ? `${h(s.mostCommon.value)} (${plural(s.mostCommon.count, 'row')})` : '–'} · missing ${count(s.missing)}</div>${extra}`;
      const fresh = c.newCategories.length ? `<div class="new">new: ${c.newCategories.map((v) => h(v)).join(', ')}</div>` : '<div class="muted">no new categories</div>';
      return `<tr>${name}<td>${side(c.reference)}</td><td>${side(c.current, fresh)}</td></tr>`;
    })
    .join('');
  return `<table id="profile"><thead><tr><th>column</th><th>reference</th><th>current</th></tr></thead><tbody>${rows}</tbody></table>`;
}
