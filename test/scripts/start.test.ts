// `npm start` end to end, as a fresh clone runs it: the CLI in a child
// process with an empty registry, so it trains, serves, sends drifted
// traffic, labels, monitors and exits 0 although the drift checks fail.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { MonitorSummary } from '../../scripts/monitor/run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rookery-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rookery start (npm start)', () => {
  it('runs the whole local loop on a fresh registry and exits 0 with the report path, saying the drift failures are expected', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ROOKERY_REGISTRY: join(dir, 'registry') };
    for (const name of ['MLFLOW_TRACKING_URI', 'ROOKERY_DATA', 'ROOKERY_SCHEMA', 'DATA_CAPTURE', 'DATA_COLLECTION_URI']) delete env[name];
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/rookery.ts', 'start', '--out', join(dir, 'reports'), '--dir', join(dir, 'work')], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toContain('no penguins@champion in');
    expect(out).toMatch(/trained \(cross-validated accuracy 0\.\d+\) and registered version 1/);
    expect(out).toMatch(/sent 200 rows in 20 requests/);
    expect(out).toMatch(/labeled 200 rows in /);
    expect(out).toContain(`report: ${join(dir, 'reports', 'report.html')}`);
    expect(out).toMatch(/That is expected: the traffic was drifted on purpose \(body_mass_g\).* Exit status 0\./);

    expect(existsSync(join(dir, 'reports', 'report.html'))).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir, 'reports', 'summary.json'), 'utf8')) as MonitorSummary;
    expect(summary.status).toBe('fail');
    expect(summary.current).toMatchObject({ rows: 200, labeledRows: 200 });
    expect(summary.analysis.drift.columns.filter((d) => d.drifted).map((d) => d.column)).toContain('body_mass_g');
    expect(summary.checks.find((c) => c.id === 'drifted-columns')!.status).toBe('fail');
    // The server was stopped: its capture writer closed the database, which removes the write-ahead log.
    expect(existsSync(join(dir, 'work', 'penguins.db'))).toBe(true);
    expect(existsSync(join(dir, 'work', 'penguins.db-wal'))).toBe(false);
  });
});
