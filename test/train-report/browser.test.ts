// The training report in a real browser: headless Chromium (Debian's
// package) renders what `rookery train` wrote with every chart drawn, no
// page error and no outside request (scripts/check-report.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReport, CHROMIUM } from '../../scripts/check-report.ts';
import { runCli } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-train-report-browser-');
const available = existsSync(CHROMIUM);
const why = available ? '' : ` (skipped: ${CHROMIUM} is not installed; apt-get install -y chromium)`;

describe.skipIf(!available)(`training report in headless Chromium${why}`, () => {
  it('renders with all six charts drawn, the decision row, no errors and no outside requests', async () => {
    const dir = tempDir();
    const trained = await runCli(['train', '--no-register', '--out', join(dir, 'model')]);
    expect(trained.code, trained.stderr).toBe(0);
    const result = await checkReport(join(dir, 'model', 'report.html'), { screenshot: join(dir, 'report.png') });
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ ok: true, charts: 6, drawnCharts: 6, checkRows: 1, errors: [], externalRequests: [] });
    expect(result.title).toMatch(/^Training report: penguins, accuracy 0\.9\d{3} \(passes 0\.\d+\)$/);
    expect(existsSync(join(dir, 'report.png'))).toBe(true);
  }, 90_000);
});
