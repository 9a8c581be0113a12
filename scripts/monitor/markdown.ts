import type { MonitorSummary } from './summary.ts';

const MARK = { pass: '✅ pass', fail: '❌ fail', skipped: '➖ skipped' } as const;

/** A table cell: GitHub Markdown ends a cell at `|` and a row at a line break. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * The checks as a GitHub-flavoured Markdown table with a one-line verdict, for a CI job summary
 * (`--summary-markdown "$GITHUB_STEP_SUMMARY"`); the figures are the ones summary.json holds.
 */
export function checksMarkdown(summary: MonitorSummary, reportPath: string): string {
  const { counts, current, inputs, reference } = summary;
  const verdict = summary.status === 'fail' ? `❌ ${counts.failed} of ${counts.checks} checks failed` : `✅ all ${counts.passed} checks passed`;
  const lines = [
    `### rookery monitor: ${verdict}${counts.skipped ? ` (${counts.skipped} skipped)` : ''}`,
    '',
    cell(`${current.rows} captured rows from ${inputs.datastore}, ${current.labeledRows} labeled; reference: ${reference.rows} rows of ${inputs.reference}`),
    '',
    '| status | check | value | condition |',
    '|---|---|---|---|',
    ...summary.checks.map((c) => `| ${MARK[c.status]} | ${cell(c.name)} | ${cell(c.value)} | ${cell(c.condition)}${c.detail ? ` (${cell(c.detail)})` : ''} |`),
    '',
    `Report: \`${cell(reportPath)}\``,
    '',
  ];
  return lines.join('\n');
}
