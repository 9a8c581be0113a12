/**
 * The MLflow double answers as MLflow's protos say: for every endpoint the
 * client (registry/mlflow/) calls, the double's JSON answer is checked field
 * by field against the Response message in test/fixtures/mlflow/messages.json
 * (written out from mlflow/protos/service.proto and model_registry.proto,
 * provenance in the file): no field the message lacks, each value of its
 * field's type (int64 as numbers, enums by name), lists where the field is
 * repeated. Where MLflow leaves a field out though the message has it, the
 * double does too: model versions from a search (and a model's
 * latest_versions) carry no `aliases` (the store builds them with
 * aliases=[]), while a registered model carries its own aliases everywhere.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowDouble } from './mlflow-double.ts';

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/mlflow/messages.json', import.meta.url), 'utf8')) as {
  enums: Record<string, string[]>;
  messages: Record<string, Record<string, string>>;
};
const SCALARS: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  double: (v) => typeof v === 'number',
  int64: (v) => Number.isInteger(v),
  int32: (v) => Number.isInteger(v),
};

/** Why `value` is not `type` as MLflow's JSON renders it; empty when it is. */
function problems(type: string, value: unknown, path: string): string[] {
  if (type.startsWith('repeated ')) {
    if (!Array.isArray(value)) return [`${path}: ${type} must be a list, got ${JSON.stringify(value)}`];
    return value.flatMap((v, i) => problems(type.slice('repeated '.length), v, `${path}[${i}]`));
  }
  if (SCALARS[type]) return SCALARS[type](value) ? [] : [`${path}: expected ${type}, got ${JSON.stringify(value)}`];
  if (FIXTURE.enums[type]) return FIXTURE.enums[type].includes(value as string) ? [] : [`${path}: ${JSON.stringify(value)} is not a ${type}`];
  const fields = FIXTURE.messages[type];
  if (!fields) throw new Error(`the fixture has no message ${type}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: ${type} must be an object, got ${JSON.stringify(value)}`];
  return Object.entries(value).flatMap(([name, v]) => (fields[name] ? problems(fields[name], v, `${path}.${name}`) : [`${path}.${name}: ${type} has no field ${name}`]));
}

let mlflow: MlflowDouble;
beforeAll(async () => {
  mlflow = await MlflowDouble.start();
});
afterAll(() => mlflow?.close());

async function call(method: string, endpoint: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const url = new URL(`/api/2.0/mlflow${endpoint}`, mlflow.uri);
  if (method === 'GET') for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, method === 'GET' ? {} : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(params) });
  expect(res.status, `${method} ${endpoint}`).toBe(200);
  return res.json();
}

describe("the MLflow double's answers against MLflow's protos", () => {
  it('match each endpoint’s Response message, field by field', async () => {
    const answers: [string, unknown][] = [];
    const answer = async (message: string, method: string, endpoint: string, params?: Record<string, unknown>) => {
      const body = await call(method, endpoint, params);
      answers.push([message, body]);
      return body as any;
    };
    const { experiment_id } = await answer('CreateExperiment.Response', 'POST', '/experiments/create', { name: 'penguins' });
    await answer('GetExperimentByName.Response', 'GET', '/experiments/get-by-name', { experiment_name: 'penguins' });
    const { run } = await answer('CreateRun.Response', 'POST', '/runs/create', { experiment_id, run_name: 'train', start_time: Date.now(), tags: [{ key: 'mlflow.user', value: 'ci' }] });
    const runId = run.info.run_id;
    await answer('LogBatch.Response', 'POST', '/runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'accuracy_mean', value: 0.97, timestamp: Date.now(), step: 0 }],
      params: [{ key: 'folds', value: '5' }],
      tags: [{ key: 'rookery.schema', value: 'penguins' }],
    });
    await answer('UpdateRun.Response', 'POST', '/runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
    await answer('GetRun.Response', 'GET', '/runs/get', { run_id: runId });
    await answer('CreateRegisteredModel.Response', 'POST', '/registered-models/create', { name: 'penguins', tags: [{ key: 'task', value: 'classification' }] });
    await answer('CreateModelVersion.Response', 'POST', '/model-versions/create', { name: 'penguins', source: `runs:/${runId}/model`, run_id: runId, tags: [{ key: 'rookery.sha256', value: 'abc' }] });
    await answer('SetRegisteredModelAlias.Response', 'POST', '/registered-models/alias', { name: 'penguins', alias: 'champion', version: '1' });
    await answer('GetRegisteredModel.Response', 'GET', '/registered-models/get', { name: 'penguins' });
    const searched = await answer('SearchRegisteredModels.Response', 'GET', '/registered-models/search', { max_results: 10 });
    await answer('GetModelVersion.Response', 'GET', '/model-versions/get', { name: 'penguins', version: '1' });
    const versions = await answer('SearchModelVersions.Response', 'GET', '/model-versions/search', { filter: "name='penguins'" });
    await answer('GetModelVersionDownloadUri.Response', 'GET', '/model-versions/get-download-uri', { name: 'penguins', version: '1' });
    await answer('GetModelVersionByAlias.Response', 'GET', '/registered-models/alias', { name: 'penguins', alias: 'champion' });
    await answer('DeleteRegisteredModelAlias.Response', 'DELETE', '/registered-models/alias', { name: 'penguins', alias: 'champion' });

    // Every route the double serves (so every endpoint the client calls) was answered here.
    const asked = new Set(mlflow.requests.map((r) => `${r.method} ${r.path}`));
    expect(asked.size).toBe(16);
    for (const [message, body] of answers) expect(problems(message, body, message), message).toEqual([]);

    // What MLflow leaves out even where the message has room for it.
    expect(versions.model_versions[0].aliases).toBeUndefined();
    expect(searched.registered_models[0].latest_versions.map((v: any) => v.aliases)).toEqual([undefined]);
    expect(searched.registered_models[0].aliases).toEqual([{ alias: 'champion', version: '1' }]);
  });

  it('are checked by a check that fails on fields the protos lack and on wrong types', () => {
    expect(problems('GetModelVersion.Response', { model_version: { name: 'p', version: 1, stage: 'None' } }, '$')).toEqual([
      '$.model_version.version: expected string, got 1',
      '$.model_version.stage: ModelVersion has no field stage',
    ]);
    expect(problems('GetRun.Response', { run: { info: { status: 'DONE', start_time: '17' } } }, '$')).toEqual(['$.run.info.status: "DONE" is not a RunStatus', '$.run.info.start_time: expected int64, got "17"']);
  });
});
