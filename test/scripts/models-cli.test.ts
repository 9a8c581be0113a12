import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-models-cli-');

function expectOneLineError(result: CliResult, code: number, text: string): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(text)]);
  expect(result.stderr.startsWith('rookery: ')).toBe(true);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('rookery models, after training', () => {
  let registryDir: string;

  beforeAll(async () => {
    registryDir = join(tempDir(), 'registry');
    // Two versions: the champion, then a newer one without the alias.
    const first = await runCli(['train', '--registry', registryDir]);
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['train', '--registry', registryDir, '--seed', '7', '--no-alias']);
    expect(second.code, second.stderr).toBe(0);
  });

  it('models list shows each version with its aliases and accuracy', async () => {
    const result = await runCli(['models', 'list', '--registry', registryDir]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0].split(/\s{2,}/)).toEqual(['model', 'version', 'aliases', 'created', 'cv accuracy']);
    const [v1, v2] = lines.slice(1).map((l) => l.split(/\s{2,}/));
    expect(v1.slice(0, 3)).toEqual(['penguins', '1', 'champion']);
    expect(v2.slice(0, 3)).toEqual(['penguins', '2', '-']);
    for (const row of [v1, v2]) {
      expect(Number.isNaN(Date.parse(row[3]))).toBe(false);
      expect(row[4]).toMatch(/^0\.9\d{3}$/);
      expect(Number(row[4])).toBeGreaterThanOrEqual(0.97);
    }
  });

  it('models list reads ROOKERY_REGISTRY too', async () => {
    const result = await runCli(['models', 'list'], { ROOKERY_REGISTRY: registryDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^penguins\s+1\s+champion/m);
  });

  it('models show penguins@champion describes version 1', async () => {
    const result = await runCli(['models', 'show', 'penguins@champion', '--registry', registryDir]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('models:/penguins/1');
    expect(result.stdout).toMatch(/^ {2}aliases: {3}champion$/m);
    expect(result.stdout).toMatch(/^ {2}flavors: {3}rookery$/m);
    expect(result.stdout).toContain(`  location:  ${join(registryDir, 'penguins', 'versions', '1')}`);
    expect(result.stdout).toMatch(/^ {2}accuracy_mean: 0\.9\d{3}$/m);
    expect(result.stdout).toContain(
      '  inputs:    island (string), culmen_length_mm (double), culmen_depth_mm (double), flipper_length_mm (double), body_mass_g (double), sex (string)',
    );
  });

  it('models show takes versions, the latest and the default reference', async () => {
    const v2 = await runCli(['models', 'show', 'models:/penguins/2', '--registry', registryDir]);
    expect(v2.code, v2.stderr).toBe(0);
    expect(v2.stdout).toMatch(/^models:\/penguins\/2\n {2}aliases: {3}-$/m);
    const latest = await runCli(['models', 'show', 'penguins', '--registry', registryDir]);
    expect(latest.stdout.split('\n')[0]).toBe('models:/penguins/2');
    const byDefault = await runCli(['models', 'show', '--registry', registryDir]);
    expect(byDefault.stdout.split('\n')[0]).toBe('models:/penguins/1');
  });

  it('models show penguins@nope exits 1 with a clear message', async () => {
    const result = await runCli(['models', 'show', 'penguins@nope', '--registry', registryDir]);
    expectOneLineError(result, 1, `models:/penguins@nope not found in ${registryDir}`);
    expect(result.stdout).toBe('');
  });

  it('models show rejects a missing version, a bad reference and two references', async () => {
    expectOneLineError(await runCli(['models', 'show', 'penguins/9', '--registry', registryDir]), 1, 'models:/penguins/9 not found');
    expectOneLineError(await runCli(['models', 'show', 'pen guins', '--registry', registryDir]), 1, '"pen guins" is not a model reference');
    expectOneLineError(await runCli(['models', 'show', 'penguins/1', 'penguins/2', '--registry', registryDir]), 2, 'expected one model reference, got 2');
  });
});

describe('rookery models, before training', () => {
  it('models list says how to get a model', async () => {
    const empty = join(tempDir(), 'empty');
    const result = await runCli(['models', 'list', '--registry', empty]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`no models registered in ${empty}; run \`rookery train\` (or \`npm start\`) first`);
  });

  it('models show says the model is not there', async () => {
    const empty = join(tempDir(), 'empty');
    expectOneLineError(await runCli(['models', 'show', '--registry', empty]), 1, `models:/penguins@champion not found in ${empty}: train and register a model first`);
  });
});
