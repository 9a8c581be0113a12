// The same seed gives the same report: two full runs of the local loop
// (`rookery start`: train, serve, traffic, label, monitor) with one seed write
// the same summary.json figures, whatever order the server stored the
// concurrent requests in and whatever request ids it drew.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { MonitorSummary } from '../../scripts/monitor/summary.ts';
import { runCli } from '../helpers/cli.ts';

/** The figures that depend on when the run happened or where it wrote, left out of the comparison. */
function figures(summary: MonitorSummary): unknown {
  const { generatedAt: _at, inputs: _paths, current, analysis, ...rest } = summary;
  const { from: _from, to: _to, ...counts } = current;
  // Window means depend on capture times; the rows they cover do not.
  const { overTime, ...statistics } = analysis;
  return { ...rest, current: counts, analysis: statistics, windowRows: overTime?.columns.map((c) => c.count.reduce((a, b) => a + b, 0)) };
}

it('two runs of the loop with the same seed give identical summary.json figures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rookery-determinism-'));
  const run = async (name: string) => {
    const result = await runCli(['start', '--samples', '400', '--seed', '7', '--dir', join(dir, name), '--out', join(dir, name, 'report')], { ROOKERY_REGISTRY: join(dir, 'registry') }, { cwd: dir, timeoutMs: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(readFileSync(join(dir, name, 'report', 'summary.json'), 'utf8')) as MonitorSummary;
  };
  const first = await run('first');
  const second = await run('second');
  expect(figures(second)).toEqual(figures(first));
  // Simulated labels are part of what must repeat: the loop's accuracy is one figure, not a range.
  expect(first.labels.simulated).toBeGreaterThan(0);
  expect(first.analysis.quality).not.toHaveProperty('error');
}, 300_000);
