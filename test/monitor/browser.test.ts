// The report in a real browser: headless Chromium (Debian's package) renders
// it with no page errors and no outside requests, and draws every chart.
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
    expect(result).toMatchObject({ ok: true, charts: 7, drawnCharts: 7, checkRows: 13, errors: [], externalRequests: [] });
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
});
