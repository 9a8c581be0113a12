// `npm start` end to end, as a fresh clone runs it: the CLI in a child
// process with an empty registry, so it trains, serves, sends drifted
// traffic, labels, monitors and exits 0 although the drift checks fail.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { MonitorSummary } from '../../scripts/monitor/summary.ts';

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
    expect(out).toMatch(/trained \(cross-validated accuracy 0\.\d{4}\) and registered version 1/);
    expect(out).toMatch(/^training report: .*\/penguins\/versions\/1\/report\.html$/m);
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

describe('rookery start: the commands it ends with', () => {
  it('prints each step with the paths it used (relative to the working directory), and they work as printed', async () => {
    const { runCli, ROOKERY_ENTRY } = await import('../helpers/cli.ts');
    const { freePort } = await import('../../scripts/free-port.ts');
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    const { mkdirSync, writeFileSync, chmodSync } = await import('node:fs');
    const cwd = mkdtempSync(join(tmpdir(), 'rookery-start-cwd-'));
    const env = { ROOKERY_REGISTRY: join(cwd, 'registry'), ROOKERY_CACHE: join(cwd, 'cache') };
    try {
      const start = await runCli(['start', '--samples', '60'], env, { cwd, timeoutMs: 60_000 });
      expect(start.stderr).toBe('');
      expect(start.code).toBe(0);
      const printed = start.stdout.split('Each step again, on what this run made (serve in the background, stopped by the last line):\n')[1]?.trimEnd();
      expect(printed).toBe(
        [
          '  DATA_COLLECTION_URI=sqlite:///.rookery/start/penguins.db npx rookery serve --model models:/penguins/1 --port 8080 &',
          '  until curl -sf http://127.0.0.1:8080/ping >/dev/null; do sleep 0.2; done',
          '  npx rookery traffic --endpoint http://127.0.0.1:8080/invocations --samples 60 --drift',
          '  npx rookery label --datastore sqlite:///.rookery/start/penguins.db --accuracy 0.8',
          '  npx rookery monitor --datastore sqlite:///.rookery/start/penguins.db --model models:/penguins/1 --out reports',
          '  kill %1',
        ].join('\n'),
      );
      // As printed, in the same folder, with two stand-ins: a free port for 8080 (other tests may hold it),
      // and an `npx` that runs this checkout's CLI and, like npx, sets npm_command and does not pass signals on to it.
      const port = await freePort();
      const bin = join(cwd, 'bin');
      mkdirSync(bin);
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      writeFileSync(join(bin, 'npx'), `#!/bin/sh\nshift\nnpm_command=exec ${JSON.stringify(process.execPath)} --import ${tsx} ${JSON.stringify(ROOKERY_ENTRY)} "$@"\n`);
      chmodSync(join(bin, 'npx'), 0o755);
      const script = `${printed!.replaceAll('8080', String(port))}\nwait\n`;
      const shellEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` };
      delete shellEnv.npm_command; // a user's shell has none; only the stand-in npx sets it, as npx does
      const run = spawnSync('bash', ['-c', script], { cwd, env: shellEnv, encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).not.toContain('rookery:');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/sent 60 rows in 6 requests/);
      expect(run.stdout).toMatch(/labeled 60 rows in .*penguins\.db/);
      expect(run.stdout).toContain(`report:  ${join(cwd, 'reports', 'report.html')}`);
      expect(run.stdout).toContain('parent process exited: finishing in-flight requests and writing captures');
      const summary = JSON.parse(readFileSync(join(cwd, 'reports', 'summary.json'), 'utf8')) as MonitorSummary;
      expect(summary.current).toMatchObject({ rows: 120, labeledRows: 120 });
      // --model names the model that made the predictions in the report, with its training accuracy.
      expect(summary.model).toMatchObject({ name: 'penguins', version: 1, trainingAccuracy: expect.any(Number) });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});
