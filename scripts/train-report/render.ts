// The training report: one self-contained HTML file beside the model
// artifact, rendered from what metrics.json and model.json hold (so every
// figure here can be read back from them). No script, font, image or
// stylesheet from anywhere: it opens offline, from MLflow's artifact view
// or a downloaded S3 object alike.

import type { CoefficientTable } from '../../model/coefficients.ts';
import type { DataProfile } from '../../model/data-profile.ts';
import type { Evaluation, TrainOptions } from '../../model/train.ts';
import { score } from '../format.ts';
import { pageStart } from '../monitor/render-html.ts';
import { num, pct, plural } from '../monitor/numbers.ts';
import { COLORS, confusionSvg, escapeHtml as h } from '../monitor/svg.ts';
import { barChartSvg, heatMapSvg, ticksFromZero } from './charts.ts';
import type { ThresholdDecision } from './decision.ts';

export const REPORT_FILE = 'report.html';

export interface TrainingReportInput {
  modelName: string;
  /** The training CSV, as the user named it. */
  dataPath: string;
  generatedAt: string;
  evaluation: Evaluation;
  options: TrainOptions;
  data: DataProfile;
  coefficients: CoefficientTable;
  decision: ThresholdDecision;
}

const coefficient = (x: number) => x.toFixed(3);
const scoreTicks = [0, 0.2, 0.4, 0.6, 0.8, 1];
const card = (label: string, big: string, small = '') => `<div class="card"><div class="muted">${h(label)}</div><div class="big">${big}</div>${small ? `<div class="muted">${small}</div>` : ''}</div>`;
/** A sentence written for the terminal, with its `commands` set as code. */
const prose = (text: string) => h(text).replace(/`([^`]+)`/g, '<code>$1</code>');
const chart = (svg: string) => `<div class="chart-card">${svg}</div>`;

function decisionSection(d: ThresholdDecision, folds: number): string {
  const status = d.passed ? 'pass' : 'fail';
  const outcome = { register: 'registered', reject: 'not registered', leave: 'left for a later step to register' }[d.outcome];
  return `<section id="decision">
<h2>Decision</h2>
<table id="checks"><thead><tr><th>check</th><th class="num">value</th><th class="num">threshold</th><th>status</th><th>outcome</th></tr></thead><tbody>
<tr><td>mean cross-validated accuracy ≥ threshold</td><td class="num">${score(d.accuracy)}</td><td class="num">${num(d.threshold)}</td><td><span class="badge ${status}">${d.passed ? 'PASS' : 'FAIL'}</span></td><td>${h(outcome)}</td></tr>
</tbody></table>
<p>${prose(d.reason[0].toUpperCase() + d.reason.slice(1))}.</p>
<p class="muted">Why this figure: the mean accuracy over the ${plural(folds, 'fold')} is measured on rows each fold's model never saw, so it estimates how the model trained on all rows will do on new penguins. A model is registered (and so deployable) only when it reaches the threshold (<code>--accuracy-threshold</code>); otherwise the current version stays in service.</p>
</section>`;
}

function dataSection(data: DataProfile, dataPath: string): string {
  const classes = barChartSvg({
    id: 'class-balance',
    title: 'Class balance',
    description: `Rows per class in ${dataPath}.`,
    series: [{ name: 'rows', color: COLORS.current }],
    groups: data.classes.map((c) => ({ label: c.class, values: [c.count], texts: [`${c.count} (${pct(c.share)})`] })),
    ticks: ticksFromZero(Math.max(...data.classes.map((c) => c.count))),
    formatTick: num,
    caption: 'rows per class',
  });
  const missing = barChartSvg({
    id: 'missing-values',
    title: 'Missing values per column',
    description: 'Rows with no value in each feature column; the pipeline imputes numbers with the training mean and encodes a missing category as no category.',
    series: [{ name: 'missing', color: COLORS.reference }],
    groups: data.missing.map((m) => ({ label: m.column, values: [m.missing], texts: [`${m.missing} (${pct(m.share)})`] })),
    ticks: ticksFromZero(Math.max(1, ...data.missing.map((m) => m.missing))),
    formatTick: num,
    caption: 'missing values per column',
  });
  const rows = data.missing.map((m) => `<tr><td>${h(m.column)}</td><td>${m.type}</td><td class="num">${m.missing}</td><td class="num">${pct(m.share)}</td></tr>`).join('');
  const total = data.missing.reduce((a, m) => a + m.missing, 0);
  return `<section id="data">
<h2>Data</h2>
<p>${plural(data.rows, 'row')} of <code>${h(dataPath)}</code>, ${plural(data.classes.length, 'class', 'classes')}; ${plural(total, 'missing value')} across ${plural(data.missing.length, 'feature column')}.</p>
<div class="charts">${chart(classes)}${chart(missing)}</div>
<table id="missing" style="margin-top:12px"><thead><tr><th>column</th><th>type</th><th class="num">missing</th><th class="num">share of rows</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function crossValidationSection(e: Evaluation, d: ThresholdDecision, options: TrainOptions): string {
  const folds = barChartSvg({
    id: 'fold-accuracy',
    title: 'Accuracy per fold',
    description: `Accuracy of each of the ${e.folds.length} folds' models on its held-out rows; dashed lines: the mean and the threshold.`,
    series: [{ name: 'accuracy', color: COLORS.current }],
    groups: e.folds.map((f) => ({ label: `fold ${f.fold + 1}`, values: [f.accuracy], texts: [score(f.accuracy)] })),
    ticks: scoreTicks,
    formatTick: num,
    caption: 'accuracy on the held-out rows',
    marks: [
      { value: d.threshold, label: `threshold ${num(d.threshold)}`, color: d.passed ? COLORS.axis : '#cf222e' },
      { value: e.accuracyMean, label: `mean ${score(e.accuracyMean)}`, color: '#1a7f37' },
    ],
  });
  const rows = e.folds
    .map((f) => `<tr><td>fold ${f.fold + 1}</td><td class="num">${f.trainSize}</td><td class="num">${f.testSize}</td><td class="num">${score(f.accuracy)}</td></tr>`)
    .join('');
  return `<section id="cross-validation">
<h2>Cross-validation</h2>
<p>${plural(e.folds.length, 'fold')}, rows shuffled with seed ${options.seed}; each fold's model is trained on the other folds' rows and scored on its own. Mean accuracy <strong>${score(e.accuracyMean)} ± ${score(e.accuracyStd)}</strong> (population standard deviation over folds).</p>
<div class="charts">${chart(folds)}<div><table id="folds"><thead><tr><th>fold</th><th class="num">train rows</th><th class="num">test rows</th><th class="num">accuracy</th></tr></thead><tbody>${rows}</tbody>
<tfoot><tr><th>mean ± std</th><th></th><th></th><th class="num">${score(e.accuracyMean)} ± ${score(e.accuracyStd)}</th></tr></tfoot></table></div></div>
</section>`;
}

function perClassSection(e: Evaluation): string {
  const r = e.report;
  const bars = barChartSvg({
    id: 'per-class',
    title: 'Precision, recall and F1 per class',
    description: 'From the out-of-fold predictions of every row, pooled over the folds.',
    series: [
      { name: 'precision', color: COLORS.current },
      { name: 'recall', color: '#8250df' },
      { name: 'F1', color: '#1a7f37' },
    ],
    groups: r.perClass.map((c) => ({ label: c.class, values: [c.precision, c.recall, c.f1], texts: [c.precision, c.recall, c.f1].map(score) })),
    ticks: scoreTicks,
    formatTick: num,
    caption: 'score (0 to 1)',
  });
  const rows = r.perClass
    .map((c) => `<tr><td>${h(c.class)}</td><td class="num">${score(c.precision)}</td><td class="num">${score(c.recall)}</td><td class="num">${score(c.f1)}</td><td class="num">${c.support}</td></tr>`)
    .join('');
  const rowsTotal = r.confusion.flat().reduce((a, b) => a + b, 0);
  return `<section id="per-class-metrics">
<h2>Per-class precision, recall and F1</h2>
<p>Every row is predicted once, by the fold model that did not see it; pooled over the folds these ${plural(rowsTotal, 'prediction')} give an accuracy of ${score(r.accuracy)}.</p>
<div class="charts">${chart(bars)}<div><table id="per-class-table"><thead><tr><th>class</th><th class="num">precision</th><th class="num">recall</th><th class="num">F1</th><th class="num">rows</th></tr></thead><tbody>${rows}</tbody></table></div></div>
</section>
<section id="confusion">
<h2>Confusion matrix</h2>
<p>Rows: the true class; columns: the class predicted out of fold. The diagonal holds the correct predictions.</p>
<div class="charts">${chart(confusionSvg('confusion-matrix', r.classes, r.confusion))}</div>
</section>`;
}

function coefficientsSection(c: CoefficientTable): string {
  const map = heatMapSvg({
    id: 'coefficients',
    title: 'Coefficients per input and class',
    description: 'Multinomial logistic regression weights: blue raises the class\'s score, red lowers it; numeric inputs are standardized, categories one-hot.',
    rows: [...c.inputs.map((i) => i.label), 'intercept'],
    columns: c.classes,
    values: [...c.weights, c.intercepts],
    format: coefficient,
  });
  return `<section id="model">
<h2>Model coefficients</h2>
<p>The model trained on all rows: a multinomial logistic regression over ${plural(c.inputs.length, 'input')}. A numeric column enters standardized (its training mean subtracted, divided by its standard deviation), so its weight is the change in a class's log-odds score per standard deviation; a category enters as 1 or 0.</p>
<div class="charts">${chart(map)}</div>
</section>`;
}

/** The training report's own rules, beside the shared report CSS. */
const PAGE_CSS = `
.charts > div > table { margin: 0; }
td.num, th.num { white-space: nowrap; }
.banner code { color: inherit; }
`;

export function renderTrainingReport(r: TrainingReportInput): string {
  const e = r.evaluation;
  const d = r.decision;
  const o = r.options;
  return `${pageStart(`Training report: ${r.modelName}, accuracy ${score(e.accuracyMean)} (${d.passed ? 'passes' : 'below'} ${num(d.threshold)})`, PAGE_CSS)}
<main>
<header>
<h1>Training report: ${h(r.modelName)}</h1>
<div class="muted">Generated ${h(r.generatedAt)} · data: <code>${h(r.dataPath)}</code> · ${plural(o.folds, 'fold')}, seed ${o.seed}, ${plural(o.epochs, 'epoch')}, learning rate ${num(o.learningRate)}, L2 ${num(o.l2)}</div>
</header>
<div class="banner ${d.passed ? 'pass' : 'fail'}"><strong>${d.passed ? 'PASS' : 'FAIL'}</strong><span>${prose(d.reason)}</span></div>
<div class="cards">
${card('cross-validated accuracy', score(e.accuracyMean), `± ${score(e.accuracyStd)} over ${plural(e.folds.length, 'fold')}`)}
${card('threshold', num(d.threshold), d.passed ? 'met' : 'not met')}
${card('training rows', String(r.data.rows), plural(r.data.classes.length, 'class', 'classes'))}
${card('inputs', String(r.coefficients.inputs.length), `from ${plural(new Set(r.coefficients.inputs.map((i) => i.feature)).size, 'feature column')}`)}
</div>
${decisionSection(d, e.folds.length)}
${dataSection(r.data, r.dataPath)}
${crossValidationSection(e, d, o)}
${perClassSection(e)}
${coefficientsSection(r.coefficients)}
<footer>Every figure on this page is in <code>metrics.json</code> (evaluation, data) and <code>model.json</code> (coefficients) beside it.</footer>
</main>
</body>
</html>
`;
}
