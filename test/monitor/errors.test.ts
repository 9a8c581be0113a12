// `rookery monitor` with an --out or --datastore it cannot use: one line naming the problem and the fix,
// exit 2 (the monitor's "could not run"; 1 means a check failed), never a stack trace or exit 70.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';

const scratch = useTempDirs('rookery-monitor-errors-');

async function monitor(dir: string, ...args: string[]) {
  const run = await runCli(['monitor', ...args], { ROOKERY_REGISTRY: join(dir, 'registry'), ROOKERY_CACHE: join(dir, 'cache') }, { cwd: dir, timeoutMs: 20_000 });
  expect(run.signal).toBeNull();
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  return run;
}

describe('rookery monitor: unusable --out', () => {
  it('--out naming an existing file (EEXIST)', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'reports'));
    writeFileSync(join(dir, 'reports', 'report.html'), '<p>old</p>');
    const run = await monitor(dir, '--out', 'reports/report.html');
    expect(run.stderr).toBe('rookery: --out reports/report.html is a file, not a folder: --out names the folder report.html and summary.json go into (e.g. --out reports)\n');
    expect(run.code).toBe(2);
  });

  it('--out under a regular file (ENOTDIR)', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'notes'), 'x');
    const run = await monitor(dir, '--out', 'notes/reports');
    expect(run.stderr).toBe(`rookery: --out notes/reports: ${join(dir, 'notes')} is a file, so no folder can be made under it; pass --out a folder path (e.g. --out reports)\n`);
    expect(run.code).toBe(2);
  });

  // Tests run as root, whom chmod does not stop; sysfs refuses new folders even to root (EPERM).
  it('--out where even root may not create folders (/sys)', async () => {
    const run = await monitor(scratch(), '--out', '/sys/rookery-test-reports');
    expect(run.stderr).toBe('rookery: --out /sys/rookery-test-reports: cannot create /sys/rookery-test-reports (permission denied); pass --out a folder you can write, e.g. --out reports\n');
    expect(run.code).toBe(2);
  });

  // Node's recursive mkdir never returns under /proc (ENOENT forever); the monitor makes folders one at a time.
  it('--out under /proc/self fails at once instead of hanging', async () => {
    const run = await monitor(scratch(), '--out', '/proc/self/rookery-reports');
    expect(run.stderr).toBe('rookery: --out /proc/self/rookery-reports: cannot create /proc/self/rookery-reports (the file system does not allow creating it); pass --out a folder you can write, e.g. --out reports\n');
    expect(run.code).toBe(2);
  });
});

describe('rookery monitor: unusable --datastore', () => {
  it('file:/// naming a regular file (ENOTDIR)', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'capture.jsonl'), '{}\n');
    const run = await monitor(dir, '--datastore', `file://${join(dir, 'capture.jsonl')}`, '--out', 'reports');
    expect(run.stderr).toBe(`rookery: --datastore file://${join(dir, 'capture.jsonl')} is a file; file:/// names the folder of JSON Lines captures: pass that folder, or sqlite:///${join(dir, 'capture.jsonl')} if it is a SQLite capture database\n`);
    expect(run.code).toBe(2);
  });

  it('a non-SQLite file and a folder as sqlite:///', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'penguins.db'), 'plain text '.repeat(500));
    mkdirSync(join(dir, 'folder.db'));
    const notDb = await monitor(dir, '--datastore', 'sqlite:///penguins.db', '--out', 'reports');
    expect(notDb.stderr).toContain(`rookery: ${join(dir, 'penguins.db')} is not a SQLite capture database (corrupted, or another kind of file)`);
    expect(notDb.code).toBe(2);
    const folder = await monitor(dir, '--datastore', 'sqlite:///folder.db', '--out', 'reports');
    expect(folder.stderr).toContain(`rookery: ${join(dir, 'folder.db')} is a folder, not a SQLite database`);
    expect(folder.code).toBe(2);
  });

  it('no captures yet: names the database npm start captures to', async () => {
    const run = await monitor(scratch(), '--out', 'reports');
    expect(run.stderr).toBe("rookery: no captured rows in sqlite:///penguins.db: send traffic first ('rookery traffic'), or pass the database 'npm start' captures to: --datastore sqlite:///.rookery/start/penguins.db\n");
    expect(run.code).toBe(2);
  });
});
