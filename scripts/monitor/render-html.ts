// The monitoring report: one self-contained HTML file rendered from the
// summary (so summary.json holds every figure shown here). No script, no
// external font, image or stylesheet: it opens offline and from an e-mail.
// The layout reads at 700 px without sideways scrolling: tables wrap their
// text, charts scale down to their column.

import { pct, plural } from './numbers.ts';
import { checksTable, count, driftCharts, driftTable, factsCards, predictionSection, profileTable, qualitySection, TEST_NAMES, verdictSection } from './render-sections.ts';
import type { MonitorSummary } from './summary.ts';
import { escapeHtml as h } from './svg.ts';

export { TEST_NAMES };

const CSS = `
:root { color-scheme: light; --fg: #24292f; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; --pass: #1a7f37; --fail: #cf222e; --skip: #6e7781; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1120px; margin: 0 auto; padding: 24px 16px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 6px; }
p, li { max-width: 80ch; }
.muted { color: var(--muted); }
.banner { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 16px 20px; border-radius: 8px; color: #fff; margin: 16px 0; }
.banner.pass { background: var(--pass); } .banner.fail { background: var(--fail); }
.banner strong { font-size: 22px; }
.verdict { font-size: 17px; }
.actions li { margin-bottom: 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 190px), 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 0; overflow-wrap: anywhere; }
.card .big { font-size: 24px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { background: #eaeef2; font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.thumb { width: 140px; }
tr:last-child td { border-bottom: none; }
.badge { display: inline-block; white-space: nowrap; min-width: 52px; text-align: center; padding: 1px 8px; border-radius: 12px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.skipped { background: var(--skip); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr)); gap: 12px; }
.chart-card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin: 0; min-width: 0; }
.chart-card svg, td svg { max-width: 100%; height: auto; display: block; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 8px; padding: 10px 14px; }
.new { color: var(--fail); font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
footer { margin-top: 40px; font-size: 13px; color: var(--muted); }
`;

function notes(s: MonitorSummary): string {
  const skipped = s.current.skippedRecords.length
    ? `<div class="note"><strong>Captured records that could not be read</strong><ul>${s.current.skippedRecords.map((k) => `<li>${count(k.count)} × ${h(k.reason)} <span class="muted">(e.g. ${h(k.examples.join(', '))})</span></li>`).join('')}</ul></div>`
    : '';
  const unmatched = s.current.unmatchedLabels
    ? `<p class="note">${plural(s.current.unmatchedLabels, 'ground truth record')} matched no captured record in this window, or had a different number of labels than the record had rows.</p>`
    : '';
  return skipped + unmatched;
}

function dataQuality(s: MonitorSummary): string {
  const a = s.analysis;
  const empty = (names: string[]) => (names.length ? h(names.join(', ')) : 'none');
  return `<p>Empty rows: ${count(a.emptyRows.reference)} in the reference, ${count(a.emptyRows.current)} current. Empty columns: ${empty(a.emptyColumns.reference)} in the reference, ${empty(a.emptyColumns.current)} current. Missing values: ${pct(a.missingCells.referenceShare)} of reference cells (${count(a.missingCells.reference)}), ${pct(a.missingCells.currentShare)} of current cells (${count(a.missingCells.current)}).</p>
${profileTable(a.columns)}`;
}

/**
 * The start of a rookery report page, up to <body>: the shared CSS (plus the
 * page's own), and a policy that lets it load nothing, so it stays readable
 * offline and can make no outside request.
 */
export function pageStart(title: string, extraCss = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${h(title)}</title>
<style>${CSS}${extraCss}</style>
</head>
<body>`;
}

export function renderReport(s: MonitorSummary): string {
  const a = s.analysis;
  return `${pageStart(`Monitoring report: ${s.status === 'pass' ? 'all checks pass' : `${plural(s.counts.failed, 'check')} failed`}`)}
<main>
<header>
<h1>Model monitoring report</h1>
<div class="muted">Generated ${h(s.generatedAt)} · captures: <code>${h(s.inputs.datastore)}</code>${s.inputs.groundTruth ? ` · ground truth: <code>${h(s.inputs.groundTruth)}</code>` : ''} · reference: <code>${h(s.inputs.reference)}</code>${s.inputs.samples !== null ? ` · the most recent ${plural(s.inputs.samples, 'row')}` : ''}</div>
</header>
<section id="summary">
${verdictSection(s)}
<h2>The captures</h2>
${factsCards(s)}
${notes(s)}
<h2>Checks</h2>
${checksTable(s.checks)}
</section>
<section id="data-drift">
<h2>Data drift</h2>
<p>Each column is compared with the reference using the test Evidently chooses by default: with a reference of at most 1000 rows, two-sample Kolmogorov–Smirnov for numeric columns and chi-square for categorical ones (a Z-test for two values); above that, the normed Wasserstein distance and the Jensen–Shannon distance. The population stability index (PSI) is given for every column too. ${a.drift.drifted} of ${plural(a.drift.tested, 'column')} drifted.</p>
${driftTable(a.drift.columns, s.thresholds.psi)}
<div class="charts" style="margin-top:12px">${driftCharts(s)}</div>
</section>
<section id="prediction-drift">
<h2>Predictions</h2>
${predictionSection(a.predictionDrift, s)}
</section>
<section id="model-quality">
<h2>Model quality</h2>
${qualitySection(a.quality, s)}
</section>
<section id="data-quality">
<h2>Data quality</h2>
${dataQuality(s)}
</section>
<footer>
Statistics computed as scipy 1.10 computes them (ks_2samp, chisquare, wasserstein_distance, jensenshannon) and quantiles as numpy.quantile, with Evidently's default test choice and thresholds. Every figure on this page is in <code>summary.json</code> beside it.
</footer>
</main>
</body>
</html>
`;
}
