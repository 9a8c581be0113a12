import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadArtifact } from '../../model/artifact.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { PENGUINS_CSV } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-train-cli-');

/** A user-facing failure: one `rookery: ...` line on stderr, no stack trace. */
function expectOneLineError(result: CliResult, code: number, text: string | RegExp): string {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0].startsWith('rookery: ')).toBe(true);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('unexpected error');
  if (typeof text === 'string') expect(lines[0]).toContain(text);
  else expect(lines[0]).toMatch(text);
  return lines[0];
}

describe('rookery (no command)', () => {
  it('--help lists the commands and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: rookery <command> [options]');
    expect(result.stdout).toMatch(/^ {2}train {2,}Train the classifier/m);
    expect(result.stdout).toMatch(/^ {2}models list {2,}/m);
    expect(result.stdout).toMatch(/^ {2}models show {2,}/m);
    expect(result.stderr).toBe('');
  });

  it('prints the overview on stderr and exits 2 with no arguments', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe((await runCli(['--help'])).stdout);
  });

  it('exits 2 for an unknown command', async () => {
    expectOneLineError(await runCli(['fly']), 2, "unknown command 'fly'; run 'rookery --help'");
    expectOneLineError(await runCli(['models', 'delete']), 2, "unknown command 'models delete'; try one of: 'rookery models list', 'rookery models show'");
  });
});

describe('rookery train', () => {
  it('--help describes the options and exits 0', async () => {
    const result = await runCli(['train', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: rookery train /);
    for (const flag of ['--data', '--folds', '--seed', '--accuracy-threshold', '--registry', '--no-alias', '--out']) expect(result.stdout).toContain(flag);
  });

  it('trains, reports the evaluation and registers version 1 with alias champion', async () => {
    const registryDir = join(tempDir(), 'registry');
    const outDir = join(tempDir(), 'out');
    const result = await runCli(['train', '--registry', registryDir, '--out', outDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`training on 344 rows of ${PENGUINS_CSV} with 5-fold cross-validation (seed 42)`);
    expect(result.stdout).toMatch(/cross-validated accuracy: 0\.9\d{3} ± 0\.0\d{3}/);
    expect(result.stdout).toContain('confusion matrix (rows: true class, columns: predicted)');
    expect(result.stdout).toContain(`registered penguins version 1 in ${registryDir} and moved alias champion to it`);

    const registry = new LocalRegistry(registryDir);
    const models = await registry.list();
    expect(models.map((m) => m.name)).toEqual(['penguins']);
    expect(models[0].versions.map((v) => v.version)).toEqual([1]);
    expect(models[0].aliases).toEqual({ champion: 1 });
    const { info, dir } = await registry.resolve({ name: 'penguins', alias: 'champion' });
    expect(info.metrics!.accuracy_mean).toBeGreaterThanOrEqual(0.97);
    // The registered artifact loads and is the one written to --out.
    const loaded = loadArtifact(dir);
    expect(loaded.params).toEqual(loadArtifact(outDir).params);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(readFileSync(join(outDir, 'model.json'), 'utf8'));
    expect(readdirSync(dir).sort()).toEqual(['MLmodel', 'input_example.json', 'metrics.json', 'model.json', 'report.html', 'serving_input_example.json', 'version.json']);
  });

  it('takes the registry from ROOKERY_REGISTRY, and --no-alias moves no alias', async () => {
    const registryDir = join(tempDir(), 'registry');
    const first = await runCli(['train', '--epochs', '50', '--alias', 'candidate'], { ROOKERY_REGISTRY: registryDir });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['train', '--epochs', '50', '--no-alias'], { ROOKERY_REGISTRY: registryDir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`registered penguins version 2 in ${registryDir}\n`);
    const [model] = await new LocalRegistry(registryDir).list();
    expect(model.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(model.aliases).toEqual({ candidate: 1 });
  });

  it('exits 1 without registering when the accuracy is below --accuracy-threshold', async () => {
    const registryDir = join(tempDir(), 'registry');
    const result = await runCli(['train', '--registry', registryDir, '--accuracy-threshold', '0.999']);
    const line = expectOneLineError(result, 1, /cross-validated accuracy 0\.9\d+ is below the threshold 0\.999: the model was not registered/);
    expect(line).not.toContain('registered penguins');
    expect(result.stdout).not.toContain('registered penguins');
    expect(await new LocalRegistry(registryDir).list()).toEqual([]);
    expect(existsSync(join(registryDir, 'penguins'))).toBe(false);
  });

  it('exits 2 naming the flag for a bad option value', async () => {
    const registryDir = join(tempDir(), 'registry');
    expectOneLineError(await runCli(['train', '--registry', registryDir, '--folds', '1']), 2, '--folds "1" must be at least 2');
    expectOneLineError(await runCli(['train', '--registry', registryDir, '--seed', 'abc']), 2, '--seed "abc" is not a number');
    expectOneLineError(await runCli(['train', '--registry', registryDir, '--accuracy-threshold', '1.5']), 2, '--accuracy-threshold "1.5" must be at most 1');
    expectOneLineError(await runCli(['train', '--registry', registryDir, '--bogus']), 2, /--bogus.*see 'rookery train --help'/);
    expect(existsSync(registryDir)).toBe(false);
  });

  it('exits 1 with file:line:column for a data file with a missing column, without a stack trace', async () => {
    const registryDir = join(tempDir(), 'registry');
    const data = join(tempDir(), 'bad.csv');
    const lines = readFileSync(PENGUINS_CSV, 'utf8').split('\n');
    const drop = (line: string) => line.split(',').filter((_, i) => i !== 5).join(',');
    writeFileSync(data, lines.map(drop).join('\n'));
    const result = await runCli(['train', '--registry', registryDir, '--data', data]);
    expectOneLineError(result, 1, `${data}:1: column "body_mass_g": the column is missing from the header`);
    expect(existsSync(registryDir)).toBe(false);
  });

  it('exits 1 with file:line:column for a bad value deep in the data', async () => {
    const data = join(tempDir(), 'bad-value.csv');
    const lines = readFileSync(PENGUINS_CSV, 'utf8').split('\n');
    lines[99] = lines[99].replace(/,(Biscoe|Dream|Torgersen),/, ',Atlantis,');
    writeFileSync(data, lines.join('\n'));
    const result = await runCli(['train', '--registry', join(tempDir(), 'registry'), '--data', data]);
    expectOneLineError(result, 1, `${data}:100: column "island": unknown category "Atlantis"`);
  });

  it('exits 1 naming the schema file when it is broken', async () => {
    const schema = join(tempDir(), 'schema.json');
    writeFileSync(schema, '{"name": "penguins", "target": {"name": "species", "classes": ["a"]}, "features": []}');
    expectOneLineError(await runCli(['train', '--registry', join(tempDir(), 'registry'), '--schema', schema]), 1, `${schema}: "target" must be`);
  });
});
