import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../../model/artifact.ts';
import { parseModelRef } from '../../model/reference.ts';
import { DEFAULT_TRAIN_OPTIONS } from '../../model/train.ts';
import { readConfig } from '../../scripts/config.ts';
import { MlflowClient } from '../../registry/mlflow/client.ts';

import { MlflowRegistry } from '../../registry/mlflow/registry.ts';
import { PARENT_RUN_ID_TAG } from '../../registry/mlflow/tags.ts';
import { MlflowTracker } from '../../scripts/mlflow/tracking.ts';
import { openRegistry } from '../../registry/open.ts';
import { openTracker } from '../../scripts/registry.ts';
import { trainAndRegister, type TrainingRequest } from '../../scripts/training.ts';
import { ROOKERY_ENTRY, runCli } from '../helpers/cli.ts';
import { PENGUINS_CSV, PENGUINS_SCHEMA } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { ADMIN, instantClock } from './helpers.ts';
import { MlflowDouble } from './mlflow-double.ts';

const tempDir = useTempDirs('rookery-mlflow-train-');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function request(overrides: Partial<TrainingRequest> = {}): TrainingRequest {
  return {
    dataPath: PENGUINS_CSV,
    schemaPath: PENGUINS_SCHEMA,
    options: { ...DEFAULT_TRAIN_OPTIONS },
    accuracyThreshold: 0.7,
    modelName: 'penguins',
    alias: 'champion',
    ...overrides,
  };
}

const tag = (run: { tags: Map<string, string> }, key: string) => run.tags.get(key);

describe('train and register against the MLflow double', () => {
  let double: MlflowDouble;
  let client: MlflowClient;
  let registry: MlflowRegistry;
  let cacheDir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    double = await MlflowDouble.start({ users: [ADMIN] });
    client = new MlflowClient({ trackingUri: double.uri, ...ADMIN, clock: instantClock() });
    cacheDir = join(tempDir(), 'cache');
    registry = new MlflowRegistry(client, cacheDir);
  });
  afterAll(() => double.close());

  it('chooses MLflow in one place when MLFLOW_TRACKING_URI is set, the folder registry otherwise', async () => {
    const withMlflow = readConfig({ MLFLOW_TRACKING_URI: double.uri, MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: 'x' });
    expect(await openRegistry(withMlflow)).toBeInstanceOf(MlflowRegistry);
    expect(openTracker(withMlflow, () => undefined)).toBeInstanceOf(MlflowTracker);
    const local = readConfig({});
    expect((await openRegistry(local)).constructor.name).toBe('LocalRegistry');
    expect(openTracker(local, () => undefined)).toBeUndefined();
  });

  it('logs a parent run with params and CV metrics, one nested run per fold, uploads the model and registers version 1 as champion', async () => {
    const outcome = await trainAndRegister(request(), registry, (l) => lines.push(l), new MlflowTracker(client, (l) => lines.push(l)));
    expect(outcome.registered).toMatchObject({ name: 'penguins', version: 1, aliases: ['champion'] });
    const experiment = [...double.experiments.values()].find((e) => e.name === 'penguins')!;
    const runs = [...double.runs.values()].filter((r) => r.info.experiment_id === experiment.experiment_id);
    const parents = runs.filter((r) => !r.tags.has(PARENT_RUN_ID_TAG));
    expect(parents).toHaveLength(1);
    const parent = parents[0];
    expect(outcome.runId).toBe(parent.info.run_id);
    expect(parent.info.status).toBe('FINISHED');
    expect(Object.fromEntries(parent.params)).toMatchObject({ folds: '5', seed: '42', accuracy_threshold: '0.7', data: 'penguins.csv', rows: '344', registered_model_name: 'penguins' });
    const metric = (key: string) => parent.metrics.filter((m) => m.key === key);
    expect(metric('cv_accuracy_mean')[0].value).toBeCloseTo(outcome.result.evaluation.accuracyMean, 12);
    expect(metric('cv_accuracy_std')).toHaveLength(1);
    expect(metric('cv_fold_accuracy').map((m) => m.step)).toEqual([0, 1, 2, 3, 4]);
    expect(metric('cv_f1_Gentoo')).toHaveLength(1);
    expect(tag(parent, 'mlflow.source.name')).toBe('rookery train');

    const children = runs.filter((r) => tag(r, PARENT_RUN_ID_TAG) === parent.info.run_id);
    expect(children.map((c) => c.info.run_name).sort()).toEqual(['fold-0', 'fold-1', 'fold-2', 'fold-3', 'fold-4']);
    for (const child of children) {
      expect(child.info.status).toBe('FINISHED');
      const fold = Number(child.params.get('fold'));
      expect(child.metrics).toEqual([expect.objectContaining({ key: 'accuracy', value: outcome.result.evaluation.folds[fold].accuracy })]);
      expect(Number(child.params.get('train_size')) + Number(child.params.get('test_size'))).toBe(344);
    }

    const root = `${experiment.experiment_id}/${parent.info.run_id}/artifacts/model`;
    expect([...double.artifacts.keys()].filter((k) => k.startsWith(root)).map((k) => k.slice(root.length + 1)).sort()).toEqual([
      'MLmodel', 'input_example.json', 'metrics.json', 'model.json', 'report.html', 'serving_input_example.json',
    ]);
    // The training report is a run artifact, uploaded as HTML so MLflow's artifact view renders it.
    expect(double.artifacts.get(`${root}/report.html`)!.toString('utf8')).toMatch(/^<!doctype html>[\s\S]*<h1>Training report: penguins<\/h1>/);
    const upload = double.requests.find((r) => r.method === 'PUT' && r.path.endsWith(`${root}/report.html`))!;
    expect(upload.headers['content-type']).toBe('text/html');
    const model = double.models.get('penguins')!;
    expect(model.versions).toHaveLength(1);
    expect(model.versions[0]).toMatchObject({ version: '1', source: `mlflow-artifacts:/${experiment.experiment_id}/${parent.info.run_id}/artifacts/model`, run_id: parent.info.run_id, status: 'READY' });
    expect(model.versions[0].tags.map((t) => t.key).sort()).toEqual(['rookery.metric.accuracy_mean', 'rookery.metric.accuracy_std']);
    expect(model.aliases.get('champion')).toBe('1');
    expect(lines.some((l) => l.startsWith(`logged run ${parent.info.run_id} with 5 nested fold runs and 6 model files to MLflow: ${double.uri}/#/experiments/`))).toBe(true);
    expect(lines).toContain(`registered penguins version 1 in MLflow at ${double.uri} and moved alias champion to it`);
    expect(lines).toContain(`training report: ${double.uri}/#/experiments/${experiment.experiment_id}/runs/${parent.info.run_id}/artifactPath/model/report.html`);
  });

  it('resolves models:/penguins@champion to a downloaded directory the model runtime loads, and caches it', async () => {
    const { info, dir } = await registry.resolve(parseModelRef('models:/penguins@champion'));
    expect(info).toMatchObject({ name: 'penguins', version: 1, aliases: ['champion'], metrics: { accuracy_mean: expect.any(Number) } });
    expect(dir.startsWith(join(cacheDir, 'mlflow', 'penguins', '1-'))).toBe(true);
    const loaded = loadArtifact(dir);
    const [prediction] = loaded.predictor.predict([{ island: 'Biscoe', culmen_length_mm: 48.6, culmen_depth_mm: 16.0, flipper_length_mm: 230, body_mass_g: 5800, sex: 'MALE' }]);
    expect(prediction.prediction).toBe('Gentoo');
    const downloads = () => double.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/')).length;
    const before = downloads();
    expect((await registry.resolve(parseModelRef('penguins@champion'))).dir).toBe(dir);
    expect(downloads()).toBe(before);
  });

  it('a second training moves champion to version 2; version 1 stays resolvable; listings read the same registry', async () => {
    const outcome = await trainAndRegister(request({ options: { ...DEFAULT_TRAIN_OPTIONS, seed: 7 } }), registry, () => undefined, new MlflowTracker(client, () => undefined));
    expect(outcome.registered).toMatchObject({ version: 2, aliases: ['champion'] });
    expect((await registry.resolve(parseModelRef('models:/penguins@champion'))).info.version).toBe(2);
    const v1 = await registry.resolve(parseModelRef('models:/penguins/1'));
    expect(v1.info).toMatchObject({ version: 1, aliases: [] });
    expect(loadArtifact(v1.dir).params.format).toBe('rookery-logistic/v1');
    expect((await registry.resolve(parseModelRef('penguins'))).info.version).toBe(2);
    const [listed] = await registry.list();
    expect(listed.name).toBe('penguins');
    expect(listed.aliases).toEqual({ champion: 2 });
    expect(listed.versions.map((v) => [v.version, v.aliases])).toEqual([[1, []], [2, ['champion']]]);
    expect(listed.versions[1].runId).toBe(outcome.runId);
  });

  it('logs a rejected model’s run but registers nothing', async () => {
    const runsBefore = double.runs.size;
    const outcome = await trainAndRegister(request({ accuracyThreshold: 0.9999 }), registry, () => undefined, new MlflowTracker(client, () => undefined));
    expect(outcome.rejected).toMatch(/below the threshold 0\.9999/);
    expect(double.runs.size).toBe(runsBefore + 6);
    expect(double.models.get('penguins')!.versions).toHaveLength(2);
  });

  it('registers a directory without a run (models register from an artifact), creating one to hold it', async () => {
    const { dir } = await registry.resolve(parseModelRef('models:/penguins/1'));
    const info = await registry.register('penguins-copy', dir, { alias: 'staging', metrics: { accuracy_mean: 0.5 } });
    expect(info).toMatchObject({ name: 'penguins-copy', version: 1, aliases: ['staging'], metrics: { accuracy_mean: 0.5 } });
    const resolved = await registry.resolve(parseModelRef('penguins-copy@staging'));
    expect(readFileSync(join(resolved.dir, 'model.json'), 'utf8')).toBe(readFileSync(join(dir, 'model.json'), 'utf8'));
  });

  it('says what to do when the alias or the model is missing', async () => {
    await expect(registry.resolve(parseModelRef('models:/penguins@challenger'))).rejects.toThrow(
      new RegExp(`^model penguins has no alias challenger in MLflow at ${double.uri.replace(/[.]/g, '\\.')}: train and register first`),
    );
    await expect(registry.resolve(parseModelRef('models:/otters@champion'))).rejects.toMatchObject({ name: 'MlflowError', kind: 'not-found' });
    await expect(registry.resolve(parseModelRef('otters'))).rejects.toThrow(/no versions of model otters in MLflow at .*: run `rookery train` with MLFLOW_TRACKING_URI set first/);
  });
});

describe('rookery train / models / serve with MLFLOW_TRACKING_URI (child processes)', () => {
  let double: MlflowDouble;
  let env: Record<string, string>;
  let cwd: string;

  beforeAll(async () => {
    double = await MlflowDouble.start({ users: [ADMIN] });
    cwd = tempDir();
    env = { MLFLOW_TRACKING_URI: double.uri, MLFLOW_TRACKING_USERNAME: ADMIN.username, MLFLOW_TRACKING_PASSWORD: ADMIN.password, ROOKERY_CACHE: join(cwd, 'cache') };
  });
  afterAll(() => double.close());

  it('rookery train logs to MLflow and registers penguins with the champion alias', async () => {
    const result = await runCli(['train'], env, { cwd, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/logged run [0-9a-f]{32} with 5 nested fold runs and 6 model files to MLflow/);
    expect(result.stdout).toContain(`registered penguins version 1 in MLflow at ${double.uri} and moved alias champion to it`);
    expect(existsSync(join(cwd, '.rookery', 'registry'))).toBe(false);
  });

  it('rookery models list / show read MLflow', async () => {
    const list = await runCli(['models', 'list'], env, { cwd });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^penguins\s+1\s+champion\s+\S+\s+0\.9\d{3}$/m);
    const show = await runCli(['models', 'show', 'penguins@champion'], env, { cwd });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('models:/penguins/1');
    expect(show.stdout).toMatch(/run id:\s+[0-9a-f]{32}/);
    expect(show.stdout).toContain(join(cwd, 'cache', 'mlflow', 'penguins'));
    // The version's report came down with its files: the path printed is a local copy a browser opens.
    const report = /^ {2}report: {4}(.+)$/m.exec(show.stdout)![1];
    expect(report.startsWith(join(cwd, 'cache', 'mlflow', 'penguins'))).toBe(true);
    expect(readFileSync(report, 'utf8')).toContain('<h1>Training report: penguins</h1>');
  });

  it('wrong credentials and an unreachable server are one-line errors that say what to do', async () => {
    const wrong = await runCli(['models', 'list'], { ...env, MLFLOW_TRACKING_PASSWORD: 'nope' }, { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toMatch(/^rookery: wrong credentials for MLflow at .*: check MLFLOW_TRACKING_USERNAME\/MLFLOW_TRACKING_PASSWORD/);
    const missing = await runCli(['models', 'show', 'penguins@challenger'], env, { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^rookery: model penguins has no alias challenger in MLflow at .*: train and register first/);
  });

  it('rookery serve --model models:/penguins@champion downloads that version and serves it', async () => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, ROOKERY_ENTRY, 'serve', '--model', 'models:/penguins@champion', '--port', '0'], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '', DATA_CAPTURE: '', MODEL_DIR: '', ...env, ROOKERY_CACHE: join(cwd, 'serve-cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const downloadsBefore = double.calls('GET', '/api/2.0/mlflow-artifacts/artifacts').length;
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not load the model: ${stdout} ${stderr}`)), 45_000);
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          stdout += c;
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
          if (m && stdout.includes('model loaded')) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      expect(double.calls('GET', '/api/2.0/mlflow/registered-models/alias').at(-1)?.query.get('alias')).toBe('champion');
      const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ dataframe_records: [{ island: 'Biscoe', culmen_length_mm: 48.6, culmen_depth_mm: 16.0, flipper_length_mm: 230, body_mass_g: 5800, sex: 'MALE' }] }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { predictions: { prediction: string }[] }).predictions[0].prediction).toBe('Gentoo');
      expect(double.calls('GET', '/api/2.0/mlflow-artifacts/artifacts').length).toBeGreaterThan(downloadsBefore);
      expect(existsSync(join(cwd, 'serve-cache', 'mlflow', 'penguins'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  });
});
