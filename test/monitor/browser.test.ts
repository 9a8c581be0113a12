// The report in a real browser: headless Chromium (Debian's package) renders
// it with no page errors and no outside requests, draws every chart, and
// nothing passes the window's edge at 700 px or at 1400 px.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReport, CHROMIUM } from '../../scripts/check-report.ts';
import { runMonitor } from '../../scripts/monitor/run.ts';
import { sampleTraffic } from '../../scripts/traffic/sample.ts';
import { data, DATA_PATH, record, SCHEMA_PATH, scratch, writeSqlite } from './fixtures.ts';

const available = existsSync(CHROMIUM);
const why = available ? '' : ` (skipped: ${CHROMIUM} is not installed; apt-get install -y chromium)`;

describe.skipIf(!available)(`report in headless Chromium${why}`, () => {
  it('renders with all charts drawn, no errors and no outside requests', async () => {
    const dir = scratch();
    const { rows } = sampleTraffic(data, { samples: 120, seed: 42, drift: true });
    const records = [];
    for (let i = 0; i < rows.length; i += 10) records.push(record(rows.slice(i, i + 10), rows.slice(i, i + 10).map((_, k) => (k % 3 ? 'Adelie' : 'Gentoo'))));
    await writeSqlite(join(dir, 'captures.db'), records);
    const { htmlPath } = await runMonitor({ datastore: `sqlite:///${join(dir, 'captures.db')}`, referencePath: DATA_PATH, schemaPath: SCHEMA_PATH, outDir: join(dir, 'report') });
    const result = await checkReport(htmlPath, { screenshot: join(dir, 'report.png') });
    expect(result.problems).toEqual([]);
    // Per column a thumbnail and a distribution, per numeric column its values over time, then prediction shares and confidence (nothing labeled: no confusion matrix).
    const charts = 6 * 2 + 4 + 2;
    expect(result).toMatchObject({ ok: true, charts, drawnCharts: charts, checkRows: 13, errors: [], externalRequests: [] });
    expect(result.viewports).toEqual([700, 1400].map((width) => ({ width, charts, drawnCharts: charts, scrollWidth: width, overflowing: [] })));
    expect(result.title).toMatch(/^Monitoring report: \d+ checks failed$/);
    expect(existsSync(join(dir, 'report.png'))).toBe(true);
  });

  it('catches what would make a report look wrong: no charts, a script error, an outside request', async () => {
    const page = join(scratch(), 'broken.html');
    writeFileSync(page, '<!doctype html><title>broken</title><img src="http://127.0.0.1:9/logo.png"><script>throw new Error("boom")</script>');
    const result = await checkReport(page);
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/no charts/);
    expect(result.problems.join('\n')).toMatch(/script elements/);
    expect(result.problems.join('\n')).toMatch(/requests outside the file: http:\/\/127\.0\.0\.1:9\/logo\.png/);
    expect(result.errors.join('\n')).toMatch(/boom/);
  });

  it('catches an element wider than the window, naming it and the width it shows at', async () => {
    const page = join(scratch(), 'wide.html');
    writeFileSync(page, '<!doctype html><title>wide</title><svg class="chart" width="100" height="50"><rect width="10" height="10"/></svg><table id="wide" style="width:900px"><tr><td>x</td></tr></table>');
    const result = await checkReport(page);
    expect(result.viewports.map((v) => v.width)).toEqual([700, 1400]);
    expect(result.problems).toEqual([expect.stringMatching(/^at 700 px: the page is \d+ px wide \(sideways scrolling\)$/), expect.stringMatching(/^at 700 px: \d+ elements pass the window's right edge: table#wide \(\d+ px\)/)]);
  });
});
