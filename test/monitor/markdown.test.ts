// `rookery monitor --summary-markdown FILE`: the checks table a CI job summary shows
// (monitor.yml passes "$GITHUB_STEP_SUMMARY", which GitHub expects to be appended to).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksMarkdown } from '../../scripts/monitor/markdown.ts';
import { runMonitor } from '../../scripts/monitor/run.ts';
import type { MonitorSummary } from '../../scripts/monitor/summary.ts';
import { sampleTraffic } from '../../scripts/traffic/sample.ts';
import { runCli } from '../helpers/cli.ts';
import { data, DATA_PATH, record, SCHEMA_PATH, scratch, writeSqlite } from './fixtures.ts';

/** A SQLite capture store of 100 rows of traffic, drifted or not, all predicted Adelie. */
async function store(drift: boolean): Promise<string> {
  const path = join(scratch(), 'captures.db');
  const { rows } = sampleTraffic(data, { samples: 100, seed: 7, drift });
  const records = [];
  for (let i = 0; i < rows.length; i += 10) records.push(record(rows.slice(i, i + 10), rows.slice(i, i + 10).map(() => 'Adelie')));
  await writeSqlite(path, records);
  return path;
}

/** The table's rows: one per check, in order, as [status, check, value, condition] cells. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| status'))
    .map((l) => l.slice(2, -2).split(/(?<!\\) \| /));
}

describe('checks as Markdown', () => {
  it('one row per check with its status, value and condition, and the verdict first', async () => {
    const out = scratch();
    const { summary, htmlPath } = await runMonitor({ datastore: `sqlite:///${await store(true)}`, referencePath: DATA_PATH, schemaPath: SCHEMA_PATH, outDir: out });
    const md = checksMarkdown(summary, htmlPath);
    expect(summary.status).toBe('fail');
    expect(md.split('\n')[0]).toBe(`### rookery monitor: ❌ ${summary.counts.failed} of ${summary.counts.checks} checks failed (1 skipped)`);
    expect(md).toContain('| status | check | value | condition |\n|---|---|---|---|\n');
    const rows = tableRows(md);
    expect(rows).toHaveLength(summary.checks.length);
    summary.checks.forEach((c, i) => {
      expect(rows[i][0]).toMatch(new RegExp(c.status === 'skipped' ? 'skipped' : c.status));
      expect(rows[i][1]).toBe(c.name);
      expect(rows[i][2]).toBe(c.value);
      expect(rows[i][3].startsWith(c.condition)).toBe(true);
    });
    expect(rows.find((r) => r[1] === 'Drifted columns')?.[0]).toBe('❌ fail');
    expect(md).toContain(`Report: \`${htmlPath}\``);
  });

  it('escapes what would break a table cell (| and line breaks)', () => {
    const summary = {
      status: 'pass',
      counts: { checks: 1, passed: 1, failed: 0, skipped: 0 },
      current: { rows: 3, labeledRows: 0 },
      inputs: { datastore: 's3://b/a|b', reference: 'ref.csv' },
      reference: { rows: 5 },
      checks: [{ id: 'x', name: 'a | b', status: 'pass', value: 'line1\nline2', condition: 'x\\y' }],
    } as unknown as MonitorSummary;
    const md = checksMarkdown(summary, 'r.html');
    expect(md.split('\n')[0]).toBe('### rookery monitor: ✅ all 1 checks passed');
    expect(md).toContain('| ✅ pass | a \\| b | line1 line2 | x\\\\y |');
    expect(md).toContain('3 captured rows from s3://b/a\\|b, 0 labeled; reference: 5 rows of ref.csv');
  });

  it('rookery monitor --summary-markdown appends the table to the file and keeps the exit status', async () => {
    const dir = scratch();
    const summaryFile = join(dir, 'step-summary.md');
    writeFileSync(summaryFile, 'earlier step\n');
    const run = await runCli(['monitor', '--datastore', `sqlite:///${await store(true)}`, '--out', join(dir, 'reports'), '--summary-markdown', summaryFile], {}, { cwd: dir, timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    const md = readFileSync(summaryFile, 'utf8');
    expect(md.startsWith('earlier step\n### rookery monitor: ❌ ')).toBe(true);
    expect(md).toContain(`Report: \`${join(dir, 'reports', 'report.html')}\``);
    const clean = await runCli(['monitor', '--datastore', `sqlite:///${await store(false)}`, '--out', join(dir, 'clean'), '--summary-markdown', summaryFile], {}, { cwd: dir, timeoutMs: 30_000 });
    expect(clean.code).toBe(0);
    expect(readFileSync(summaryFile, 'utf8')).toMatch(/### rookery monitor: ✅ all \d+ checks passed/);
  });

  it('an unwritable --summary-markdown is exit 2 with one line naming it', async () => {
    const dir = scratch();
    const run = await runCli(['monitor', '--datastore', `sqlite:///${await store(false)}`, '--out', join(dir, 'reports'), '--summary-markdown', join(dir, 'missing', 'summary.md')], {}, { cwd: dir, timeoutMs: 30_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^rookery: --summary-markdown .*missing\/summary\.md: cannot write it/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
