// What a new user meets first: usage errors, help, --version and bad training
// input, each run through the real `rookery` program in a child process. Every
// failure is exactly one `rookery: ...` line on stderr with exit 1 (bad input
// or state) or 2 (bad usage), never a stack trace or exit 70.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_OPTIONS } from '../../model/train.ts';
import { buildImageBundle } from '../../scripts/build-image.ts';
import { ROOKERY_ENTRY, runCli, type CliResult } from '../helpers/cli.ts';
import { PENGUINS_CSV } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-cli-usage-');
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A registry of the test's own, so nothing reads or writes the working directory's .rookery/. */
const env = () => ({ ROOKERY_REGISTRY: join(tempDir(), 'registry') });

/** Exactly one line on stderr, nothing on stdout, and the exit code. */
function expectError(result: CliResult, code: number, line: string): void {
  expect({ code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({ code, stderr: `rookery: ${line}\n`, stdout: '' });
}

/**
 * The CLI as root without the capabilities that let root read any file (util-linux's setpriv drops
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so file modes apply as to any user, wherever the checkout lives.
 */
function runWithoutDacOverride(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  const drop = '-dac_override,-dac_read_search';
  return new Promise((resolve) =>
    execFile(
      'setpriv',
      [`--inh-caps=${drop}`, `--bounding-set=${drop}`, '--', process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, ROOKERY_ENTRY, ...args],
      { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, signal: null, stdout, stderr }),
    ),
  );
}

/** The first `rows` data rows of the penguins CSV, under the header. */
function penguins(rows: number): string {
  const file = join(tempDir(), `penguins-${rows}.csv`);
  writeFileSync(file, readFileSync(PENGUINS_CSV, 'utf8').split('\n').slice(0, rows + 1).join('\n') + '\n');
  return file;
}

describe('rookery train: input a user can fix', () => {
  it('fewer rows than folds names the rows, the folds and --folds (exit 1)', async () => {
    const file = penguins(3);
    expectError(await runCli(['train', '--data', file], env()), 1, `${file} has 3 rows, too few for 5-fold cross-validation: pass --folds N with N at most 3, or train on more rows`);
    expectError(await runCli(['train', '--data', file, '--folds', '4'], env()), 1, `${file} has 3 rows, too few for 4-fold cross-validation: pass --folds N with N at most 3, or train on more rows`);
  });

  it('one row cannot be cross-validated at all', async () => {
    const file = penguins(1);
    expectError(await runCli(['train', '--data', file], env()), 1, `${file} has 1 row, too few for 5-fold cross-validation: cross-validation needs at least 2 rows; train on more rows`);
  });

  it('as many folds as rows trains (the check is not off by one)', async () => {
    const result = await runCli(['train', '--data', penguins(3), '--folds', '3', '--no-register'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('with 3-fold cross-validation');
  });

  it('a missing data file: "cannot read FILE: no such file", no line number', async () => {
    const file = join(tempDir(), 'missing.csv');
    expectError(await runCli(['train', '--data', file], env()), 1, `cannot read ${file}: no such file`);
    // Relative to the working directory (runCli's empty folder), named as the user typed it.
    expectError(await runCli(['train', '--data', 'data/missing.csv'], env()), 1, 'cannot read data/missing.csv: no such file');
  });

  it('a folder given as the data file', async () => {
    const dir = tempDir();
    expectError(await runCli(['train', '--data', dir], env()), 1, `cannot read ${dir}: it is a folder, not a CSV file`);
  });

  it('an unreadable data file', async () => {
    const dir = tempDir();
    const file = join(dir, 'locked.csv');
    copyFileSync(penguins(10), file);
    chmodSync(file, 0o000);
    const args = ['train', '--data', file];
    // root reads any file whatever its mode: then the program runs without that privilege, as a user would.
    const result = process.getuid?.() === 0 ? await runWithoutDacOverride(args, { ROOKERY_REGISTRY: join(dir, 'registry'), HOME: dir }, dir) : await runCli(args, env());
    expectError(result, 1, `cannot read ${file}: permission denied`);
  });
});

describe('a negative number after an option is its value', () => {
  it('--seed -3 is --seed=-3: the command says what is wrong with it (exit 2)', async () => {
    expectError(await runCli(['train', '--seed', '-3'], env()), 2, '--seed "-3" must be at least 0');
    expectError(await runCli(['train', '--seed=-3'], env()), 2, '--seed "-3" must be at least 0');
    expectError(await runCli(['train', '--folds', '-0.5'], env()), 2, '--folds "-0.5" must be a whole number');
  });

  it('--samples -5 on pipeline monitor', async () => {
    const args = ['pipeline', 'monitor', '--endpoint', 'e', '--datastore', pathToFileURL(tempDir()).href, '--samples', '-5'];
    expectError(await runCli(args, env()), 2, '--samples "-5" must be at least 1');
  });

  it('an option name after an option still is not its value', async () => {
    expectError(await runCli(['train', '--data', '--folds', '3'], env()), 2, `--data needs a value, not "--folds"; a value starting with a dash is written --data=-VALUE (see 'rookery train --help')`);
  });
});

describe('rookery serve --port', () => {
  it('out of range is bad usage: exit 2', async () => {
    expectError(await runCli(['serve', '--port', '99999'], env()), 2, '--port="99999" is not a port number; use 0-65535 (0 picks a free port)');
    expectError(await runCli(['serve', '--port', '-1'], env()), 2, '--port="-1" is not a port number; use 0-65535 (0 picks a free port)');
  });

  it('a bad SAGEMAKER_BIND_TO_PORT stays bad state: exit 1', async () => {
    expectError(await runCli(['serve'], { ...env(), SAGEMAKER_BIND_TO_PORT: '99999' }), 1, 'SAGEMAKER_BIND_TO_PORT="99999" is not a port number; use 0-65535 (0 picks a free port)');
  });
});

describe('command groups', () => {
  const groups: [string, string[]][] = [
    ['models', ['models list', 'models show', 'models register']],
    ['deploy', ['deploy azure', 'deploy sagemaker']],
    ['pipeline', ['pipeline run', 'pipeline watch', 'pipeline monitor']],
    ['mlflow', ['mlflow tunnel']],
  ];

  for (const [group, names] of groups) {
    it(`rookery ${group} --help lists its subcommands, one line each (exit 0)`, async () => {
      const result = await runCli([group, '--help']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`Usage: rookery ${group} <command> [options]`);
      const listed = lines.filter((l) => l.startsWith('  '));
      expect(listed.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(names);
      for (const l of listed) expect(l.trim().split(/\s{2,}/)[1]).toMatch(/^[A-Z]/);
      expect(lines.at(-1)).toBe(`Run 'rookery ${group} <command> --help' for a command's options.`);
      expect((await runCli([group, '-h'])).stdout).toBe(result.stdout);
      expect((await runCli(['help', group])).stdout).toBe(result.stdout);
    });
  }

  it('a group alone prints the same list on stderr and exits 2', async () => {
    const help = await runCli(['models', '--help']);
    const alone = await runCli(['models']);
    expect({ code: alone.code, stdout: alone.stdout, stderr: alone.stderr }).toEqual({ code: 2, stdout: '', stderr: help.stdout });
  });

  it('an unknown subcommand of a group still names the group’s commands', async () => {
    expectError(await runCli(['models', 'delete']), 2, "unknown command 'models delete'; try one of: 'rookery models list', 'rookery models show', 'rookery models register'");
  });
});

describe('rookery --version and rookery help', () => {
  it('--version and -V print package.json’s version', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout: `rookery ${VERSION}\n`, stderr: '' });
    }
  });

  it('help COMMAND prints that command’s help, as COMMAND --help does', async () => {
    const train = await runCli(['train', '--help']);
    expect(train.stdout).toMatch(/^Usage: rookery train /);
    const help = await runCli(['help', 'train']);
    expect({ code: help.code, stdout: help.stdout, stderr: help.stderr }).toEqual({ code: 0, stdout: train.stdout, stderr: '' });
    expect((await runCli(['help', 'models', 'list'])).stdout).toBe((await runCli(['models', 'list', '--help'])).stdout);
  });

  it('help with an unknown command is a usage error', async () => {
    expectError(await runCli(['help', 'nosuch']), 2, "unknown command 'nosuch'; run 'rookery --help'");
  });

  it('help alone is the overview, exit 0', async () => {
    const result = await runCli(['help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe((await runCli(['--help'])).stdout);
    expect(result.stdout).toContain('Commands:');
  });

  it('train --help shows the defaults the command uses', async () => {
    const { stdout } = await runCli(['train', '--help']);
    const d = DEFAULT_TRAIN_OPTIONS;
    expect(stdout).toMatch(new RegExp(`^ {2}--folds N .*\\(default ${d.folds}\\)$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^ {2}--seed N .*\\(default ${d.seed}\\)$`, 'm'));
    expect(stdout).toContain(`[--folds ${d.folds}] [--seed ${d.seed}] [--accuracy-threshold 0.7]`);
  });
});

describe('rookery pipeline monitor on a file:/// capture folder', () => {
  const monitor = (datastore: string, ...more: string[]) => runCli(['pipeline', 'monitor', '--endpoint', 'rookery-penguins', '--datastore', datastore, ...more], env());

  it('an empty folder is "no captures yet": exit 0, nothing published, as its help promises', async () => {
    const uri = pathToFileURL(tempDir()).href;
    // Without --no-publish too: nothing is sent, so no AWS settings are needed.
    const result = await monitor(uri);
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 0,
      stdout: `no captured data under ${uri} yet: nothing to monitor, no metrics published\n`,
      stderr: '',
    });
  });

  it('a folder that does not exist is a mistyped path: exit 2', async () => {
    const uri = pathToFileURL(join(tempDir(), 'nonexistent')).href;
    expectError(await monitor(uri), 2, `--datastore ${uri}: no such folder; pass the endpoint's Data Capture folder (file:///dir) or an s3:// prefix`);
  });

  it('a folder with captures is monitored', async () => {
    const dir = tempDir();
    const hour = join(dir, '2025', '03', '01', '10');
    mkdirSync(hour, { recursive: true });
    const [header, ...rows] = readFileSync(PENGUINS_CSV, 'utf8').trim().split('\n');
    const names = header.split(',');
    const records = rows.slice(0, 40).map((line, i) => {
      const fields = line.split(',');
      const row = Object.fromEntries(names.slice(1).map((n, k) => [n, fields[k + 1] === 'NA' || fields[k + 1] === '' ? null : /^[\d.]+$/.test(fields[k + 1]) ? Number(fields[k + 1]) : fields[k + 1]]));
      return JSON.stringify({
        captureData: {
          endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: JSON.stringify({ dataframe_records: [row] }), encoding: 'JSON' },
          endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: JSON.stringify({ predictions: [{ prediction: fields[0], confidence: 0.9 }] }), encoding: 'JSON' },
        },
        eventMetadata: { eventId: `req-${i}`, inferenceTime: '2025-03-01T10:00:00Z' },
        eventVersion: '0',
      });
    });
    writeFileSync(join(hour, 'capture.jsonl'), records.join('\n') + '\n');
    const result = await monitor(pathToFileURL(dir).href, '--no-publish', '--report', tempDir());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^not published \(--no-publish\): DriftedColumns=\d+ DriftTestedColumns=6 FailedChecks=\d+ CapturedRows=40 /);
  });
});

describe('the image bundle', () => {
  it('prints the version with no package.json next to it', async () => {
    const bundle = await buildImageBundle();
    const alone = join(tempDir(), 'rookery.mjs');
    copyFileSync(bundle, alone);
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [alone, '--version'], { cwd: tempDir(), env: { PATH: process.env.PATH } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(result).toEqual({ code: 0, stdout: `rookery ${VERSION}\n`, stderr: '' });
  }, 60_000);
});
