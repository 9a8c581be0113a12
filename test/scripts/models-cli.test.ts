import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { MlflowDouble } from '../mlflow/mlflow-double.ts';

const tempDir = useTempDirs('rookery-models-cli-');

function expectOneLineError(result: CliResult, code: number, text: string): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(text)]);
  expect(result.stderr.startsWith('rookery: ')).toBe(true);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/** `models list` of penguins versions 1 (champion) and 2: the header, then each version's columns. */
function twoVersionListing(stdout: string): string[][] {
  const lines = stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0].split(/\s{2,}/)).toEqual(['model', 'version', 'aliases', 'created', 'cv accuracy']);
  const [v1, v2] = lines.slice(1).map((l) => l.split(/\s{2,}/));
  expect(v1.slice(0, 3)).toEqual(['penguins', '1', 'champion']);
  expect(v2.slice(0, 3)).toEqual(['penguins', '2', '-']);
  return [v1, v2];
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
    const [v1, v2] = twoVersionListing(result.stdout);
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
    expectOneLineError(result, 1, `no penguins@nope in the local registry ${registryDir}; run \`npm start\` or \`rookery train\` to train and register one`);
    expect(result.stdout).toBe('');
  });

  it('models show rejects a missing version, a bad reference and two references', async () => {
    expectOneLineError(await runCli(['models', 'show', 'penguins/9', '--registry', registryDir]), 1, 'penguins version 9 is not in the local registry');
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
    expectOneLineError(await runCli(['models', 'show', '--registry', empty]), 1, `no penguins@champion in the local registry ${empty}; run \`npm start\` or \`rookery train\` to train and register one`);
  });
});

describe('rookery models against MLflow (the double answers as a real server: no aliases in version searches)', () => {
  let double: MlflowDouble;
  let env: Record<string, string>;
  let cwd: string;

  beforeAll(async () => {
    double = await MlflowDouble.start();
    cwd = tempDir();
    env = { MLFLOW_TRACKING_URI: double.uri, ROOKERY_CACHE: join(cwd, 'cache') };
    // Two versions: the champion, then a newer one without the alias.
    const first = await runCli(['train'], env, { cwd, timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['train', '--seed', '7', '--no-alias'], env, { cwd, timeoutMs: 60_000 });
    expect(second.code, second.stderr).toBe(0);
    // What the CLI reads is what a real server answers: versions found by search carry no aliases.
    const search = (await (await fetch(`${double.uri}/api/2.0/mlflow/model-versions/search?filter=name%3D%27penguins%27`)).json()) as { model_versions: object[] };
    expect(search.model_versions).toHaveLength(2);
    expect(search.model_versions.every((mv) => !('aliases' in mv))).toBe(true);
  }, 120_000);
  afterAll(() => double.close());

  it('models list shows the champion alias on version 1, with one search per model and no per-version requests', async () => {
    const before = double.requests.length;
    const result = await runCli(['models', 'list'], env, { cwd });
    expect(result.code, result.stderr).toBe(0);
    const [v1, v2] = twoVersionListing(result.stdout);
    for (const row of [v1, v2]) expect(row[4]).toMatch(/^0\.9\d{3}$/);
    expect(double.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/2.0/mlflow/registered-models/search',
      'GET /api/2.0/mlflow/model-versions/search',
    ]);
  });

  it('models show penguins (the latest) is version 2 without aliases, and shows an alias pointed at it', async () => {
    const latest = await runCli(['models', 'show', 'penguins'], env, { cwd });
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stdout).toMatch(/^models:\/penguins\/2\n {2}aliases: {3}-$/m);
    const v1 = await runCli(['models', 'show', 'penguins/1'], env, { cwd });
    expect(v1.stdout).toMatch(/^models:\/penguins\/1\n {2}aliases: {3}champion$/m);
    double.models.get('penguins')!.aliases.set('candidate', '2');
    const again = await runCli(['models', 'show', 'penguins'], env, { cwd });
    expect(again.stdout).toMatch(/^models:\/penguins\/2\n {2}aliases: {3}candidate$/m);
    double.models.get('penguins')!.aliases.delete('candidate');
  });

  it('models show penguins@champion and the default reference describe version 1 with its alias', async () => {
    for (const args of [['models', 'show', 'penguins@champion'], ['models', 'show']]) {
      const result = await runCli(args, env, { cwd });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe('models:/penguins/1');
      expect(result.stdout).toMatch(/^ {2}aliases: {3}champion$/m);
      expect(result.stdout).toMatch(/^ {2}run id: {4}[0-9a-f]{32}$/m);
      expect(result.stdout).toMatch(/^ {2}accuracy_mean: 0\.9\d{3}$/m);
      expect(result.stdout).toContain(`  location:  ${join(cwd, 'cache', 'mlflow', 'penguins', '1-')}`);
    }
  });

  it('models list shows two aliases on one version, sorted', async () => {
    double.models.get('penguins')!.aliases.set('best', '1');
    try {
      const result = await runCli(['models', 'list'], env, { cwd });
      expect(result.stdout).toMatch(/^penguins\s+1\s+best,champion\s/m);
      expect(result.stdout).toMatch(/^penguins\s+2\s+-\s/m);
    } finally {
      double.models.get('penguins')!.aliases.delete('best');
    }
  });
});
