import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { authorizationHeader, MlflowClient } from '../../registry/mlflow/client.ts';

import { LOG_BATCH_LIMITS } from '../../registry/mlflow/batch.ts';
import { ADMIN, clientFor, instantClock } from './helpers.ts';
import { MlflowDouble } from './mlflow-double.ts';

async function closedPortUri(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ uri: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const json = (r: { body: Buffer }) => JSON.parse(r.body.toString('utf8'));

describe('authorization header', () => {
  it('sends Basic when both username and password are set, as MLflow does, even with a token', () => {
    const basic = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
    expect(authorizationHeader({ trackingUri: 'x', username: 'admin', password: 'pw' })).toBe(basic);
    expect(authorizationHeader({ trackingUri: 'x', username: 'admin', password: 'pw', token: 't' })).toBe(basic);
  });

  it('falls back to Bearer with MLFLOW_TRACKING_TOKEN, and sends nothing without credentials', () => {
    expect(authorizationHeader({ trackingUri: 'x', token: 'tok' })).toBe('Bearer tok');
    expect(authorizationHeader({ trackingUri: 'x', username: 'admin', token: 'tok' })).toBe('Bearer tok');
    expect(authorizationHeader({ trackingUri: 'x' })).toBeUndefined();
  });
});

describe('MlflowClient against the MLflow double', () => {
  let double: MlflowDouble;
  let client: MlflowClient;
  let clock: ReturnType<typeof instantClock>;

  beforeEach(async () => {
    double = await MlflowDouble.start({ users: [ADMIN] });
    ({ client, clock } = clientFor(double, ADMIN));
  });
  afterEach(() => double.close());

  describe('experiments', () => {
    it('gets by name (undefined when missing) and creates with a string id', async () => {
      expect(await client.getExperimentByName('penguins')).toBeUndefined();
      const id = await client.createExperiment('penguins');
      expect(id).toBe('1');
      const experiment = await client.getExperimentByName('penguins');
      expect(experiment).toMatchObject({ experiment_id: '1', name: 'penguins', artifact_location: 'mlflow-artifacts:/1', lifecycle_stage: 'active' });
      const [get] = double.calls('GET', '/api/2.0/mlflow/experiments/get-by-name');
      expect(get.query.get('experiment_name')).toBe('penguins');
      const [create] = double.calls('POST', '/api/2.0/mlflow/experiments/create');
      expect(create.headers['content-type']).toBe('application/json');
      expect(JSON.parse(create.body.toString())).toEqual({ name: 'penguins' });
    });

    it('maps a duplicate name to RESOURCE_ALREADY_EXISTS (400), and getOrCreate reuses it', async () => {
      await client.createExperiment('penguins');
      const err = await client.createExperiment('penguins').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'already-exists' });
      expect(err).toMatchObject({ status: 400, errorCode: 'RESOURCE_ALREADY_EXISTS' });
      expect(await client.getOrCreateExperiment('penguins')).toBe('1');
      expect(await client.getOrCreateExperiment('other')).toBe('2');
    });
  });

  describe('runs', () => {
    it('creates a run with MLflow run info and an mlflow-artifacts root', async () => {
      const experimentId = await client.createExperiment('penguins');
      const run = await client.createRun({ experimentId, runName: 'train', startTime: 1700000000000, tags: [{ key: 'mlflow.user', value: 'me' }] });
      expect(run.info).toMatchObject({ experiment_id: '1', run_name: 'train', status: 'RUNNING', start_time: 1700000000000, lifecycle_stage: 'active' });
      expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
      expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/1/${run.info.run_id}/artifacts`);
      expect(run.data?.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.runName', value: 'train' }, { key: 'mlflow.user', value: 'me' }]));
      expect((await client.getRun(run.info.run_id)).info.run_id).toBe(run.info.run_id);
    });

    it('updates status and end time', async () => {
      const run = await client.createRun({ experimentId: '0' });
      const info = await client.updateRun(run.info.run_id, { status: 'FINISHED', endTime: 1700000001000 });
      expect(info).toMatchObject({ status: 'FINISHED', end_time: 1700000001000 });
    });

    it('says which run is missing', async () => {
      const err = await client.getRun('0123456789abcdef0123456789abcdef').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'not-found' });
      expect(err.message).toContain('Run with id=0123456789abcdef0123456789abcdef not found');
    });

    it('logs a small batch in one request', async () => {
      const run = await client.createRun({ experimentId: '0' });
      const sent = await client.logBatch(run.info.run_id, {
        params: [{ key: 'folds', value: '5' }],
        metrics: [{ key: 'accuracy', value: 0.97, timestamp: 1, step: 0 }],
        tags: [{ key: 'team', value: 'ml' }],
      });
      expect(sent).toBe(1);
      const stored = double.runs.get(run.info.run_id)!;
      expect(stored.params.get('folds')).toBe('5');
      expect(stored.metrics).toEqual([{ key: 'accuracy', value: 0.97, timestamp: 1, step: 0 }]);
    });

    it('splits large logs into requests within the log-batch limits, and the server keeps all of it', async () => {
      const run = await client.createRun({ experimentId: '0' });
      const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
      const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: String(i) }));
      const metrics = Array.from({ length: 2500 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), timestamp: i, step: i }));
      const sent = await client.logBatch(run.info.run_id, { params, tags, metrics });
      const requests = double.calls('POST', '/api/2.0/mlflow/runs/log-batch').map((r) => JSON.parse(r.body.toString()));
      expect(requests).toHaveLength(sent);
      for (const r of requests) {
        const [m, p, t] = [r.metrics?.length ?? 0, r.params?.length ?? 0, r.tags?.length ?? 0];
        expect(m).toBeLessThanOrEqual(LOG_BATCH_LIMITS.metrics);
        expect(p).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params);
        expect(t).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags);
        expect(m + p + t).toBeLessThanOrEqual(LOG_BATCH_LIMITS.total);
      }
      const stored = double.runs.get(run.info.run_id)!;
      expect(stored.params.size).toBe(250);
      expect(stored.tags.size).toBe(150 + 1);
      expect(stored.metrics.map((m) => m.step)).toEqual(metrics.map((m) => m.step));
    });

    it('gets MLflow’s own limit error when a request breaks the rules (the double enforces them)', async () => {
      const run = await client.createRun({ experimentId: '0' });
      const body = JSON.stringify({ run_id: run.info.run_id, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) });
      const err = await client.request('POST', '/api/2.0/mlflow/runs/log-batch', { body, contentType: 'application/json' }).catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'invalid-request' });
      expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect(err.serverMessage).toBe('A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again.');
    });

    it('reports MLflow refusing to change a logged param', async () => {
      const run = await client.createRun({ experimentId: '0' });
      await client.logBatch(run.info.run_id, { params: [{ key: 'seed', value: '1' }] });
      const err = await client.logBatch(run.info.run_id, { params: [{ key: 'seed', value: '2' }] }).catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'invalid-request' });
      expect(err.message).toContain('Changing param values is not allowed');
    });

    it('refuses to send keys MLflow would reject, naming them', async () => {
      await expect(client.logBatch('r', { metrics: [{ key: 'bad:key', value: 1, timestamp: 0, step: 0 }] })).rejects.toThrow(/bad:key/);
      await expect(client.logBatch('r', { params: [{ key: 'a', value: '1' }, { key: 'a', value: '1' }] })).rejects.toThrow(/logged twice/);
      expect(double.calls('POST', '/api/2.0/mlflow/runs/log-batch')).toHaveLength(0);
    });
  });

  describe('model registry', () => {
    async function runWithModel(): Promise<string> {
      const run = await client.createRun({ experimentId: '0' });
      return run.info.run_id;
    }

    it('creates a registered model once; a second create is RESOURCE_ALREADY_EXISTS', async () => {
      const model = await client.createRegisteredModel('penguins', { description: 'species' });
      expect(model).toMatchObject({ name: 'penguins', description: 'species' });
      await expect(client.createRegisteredModel('penguins')).rejects.toMatchObject({ name: 'MlflowError', kind: 'already-exists' });
    });

    it('says to train first when the model is not registered', async () => {
      const err = await client.getRegisteredModel('penguins').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'not-found' });
      expect(err.message).toMatch(/^model penguins is not registered in MLflow at http:\/\/127\.0\.0\.1:\d+: train and register it first/);
      expect(err.serverMessage).toBe('Registered Model with name=penguins not found');
    });

    it('creates numbered versions with MLflow version fields and the download URI', async () => {
      await client.createRegisteredModel('penguins');
      const runId = await runWithModel();
      const source = `mlflow-artifacts:/0/${runId}/artifacts/model`;
      const v1 = await client.createModelVersion({ name: 'penguins', source, runId, tags: [{ key: 'rookery.metric.accuracy_mean', value: '0.98' }] });
      expect(v1).toMatchObject({ name: 'penguins', version: '1', source, run_id: runId, status: 'READY', current_stage: 'None' });
      const v2 = await client.createModelVersion({ name: 'penguins', source, runId });
      expect(v2.version).toBe('2');
      expect(await client.getModelVersion('penguins', 1)).toMatchObject({ version: '1', tags: [{ key: 'rookery.metric.accuracy_mean', value: '0.98' }] });
      expect(await client.getModelVersionDownloadUri('penguins', '2')).toBe(source);
      expect((await client.searchModelVersions("name='penguins'")).map((v) => v.version)).toEqual(['2', '1']);
    });

    it('needs the registered model before a version, and refuses local sources', async () => {
      await expect(client.createModelVersion({ name: 'penguins', source: 'mlflow-artifacts:/0/x/artifacts/model' })).rejects.toMatchObject({ name: 'MlflowError', kind: 'not-found' });
      await client.createRegisteredModel('penguins');
      const err = await client.createModelVersion({ name: 'penguins', source: '/tmp/model' }).catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'invalid-request' });
      expect(err.serverMessage).toMatch(/^Invalid model version source: '\/tmp\/model'/);
    });

    it('names the missing version', async () => {
      await client.createRegisteredModel('penguins');
      const err = await client.getModelVersion('penguins', 9).catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'not-found' });
      expect(err.message).toContain('model penguins has no version 9');
    });

    it('pages through search results', async () => {
      for (const name of ['a', 'b', 'c']) await client.createRegisteredModel(name);
      expect((await client.searchRegisteredModels(undefined, 2)).map((m) => m.name)).toEqual(['a', 'b', 'c']);
      const searches = double.calls('GET', '/api/2.0/mlflow/registered-models/search');
      expect(searches).toHaveLength(2);
      expect(searches[1].query.get('page_token')).toBeTruthy();
    });

    it('waits while a version is PENDING_REGISTRATION', async () => {
      await double.close();
      double = await MlflowDouble.start({ users: [ADMIN], pendingGets: 2 });
      ({ client, clock } = clientFor(double, ADMIN));
      await client.createRegisteredModel('penguins');
      const created = await client.createModelVersion({ name: 'penguins', source: 'mlflow-artifacts:/0/r/artifacts/model' });
      expect(created.status).toBe('PENDING_REGISTRATION');
      expect((await client.waitForModelVersion('penguins', created.version)).status).toBe('READY');
      expect(clock.sleeps).toEqual([1000]);
    });

    it('reports a version whose registration failed, with the server’s reason', async () => {
      await client.createRegisteredModel('penguins');
      const created = await client.createModelVersion({ name: 'penguins', source: 'mlflow-artifacts:/0/r/artifacts/model' });
      Object.assign(double.models.get('penguins')!.versions[0], { status: 'FAILED_REGISTRATION', status_message: 'copy failed' });
      await expect(client.waitForModelVersion('penguins', created.version)).rejects.toThrow(/registering penguins version 1 failed in MLflow at .*: copy failed/);
    });

    it('sets, reads, moves and deletes aliases (no stages)', async () => {
      await client.createRegisteredModel('penguins');
      const runId = await runWithModel();
      for (let i = 0; i < 2; i++) await client.createModelVersion({ name: 'penguins', source: `mlflow-artifacts:/0/${runId}/artifacts/model`, runId });
      await client.setRegisteredModelAlias('penguins', 'champion', 1);
      expect(await client.getModelVersionByAlias('penguins', 'champion')).toMatchObject({ version: '1', aliases: ['champion'] });
      await client.setRegisteredModelAlias('penguins', 'champion', '2');
      expect((await client.getModelVersionByAlias('penguins', 'champion')).version).toBe('2');
      expect((await client.getRegisteredModel('penguins')).aliases).toEqual([{ alias: 'champion', version: '2' }]);
      const [set] = double.calls('POST', '/api/2.0/mlflow/registered-models/alias');
      expect(JSON.parse(set.body.toString())).toEqual({ name: 'penguins', alias: 'champion', version: '1' });
      await client.deleteRegisteredModelAlias('penguins', 'champion');
      expect((await client.getRegisteredModel('penguins')).aliases).toBeUndefined();
      expect(double.requests.some((r) => r.path.includes('transition-stage') || r.path.includes('get-latest-versions'))).toBe(false);
    });

    it('answers as a real server does: aliases only on model-versions/get and get-by-alias, never in search results or latest_versions', async () => {
      await client.createRegisteredModel('penguins');
      const runId = await runWithModel();
      const source = `mlflow-artifacts:/0/${runId}/artifacts/model`;
      await client.createModelVersion({ name: 'penguins', source, runId, tags: [{ key: 'rookery.metric.accuracy_mean', value: '0.99' }] });
      await client.createModelVersion({ name: 'penguins', source });
      await client.setRegisteredModelAlias('penguins', 'champion', 1);
      await client.setRegisteredModelAlias('penguins', 'candidate', 2);
      await client.setRegisteredModelAlias('penguins', 'best', 1);
      const get = async (path: string, query: Record<string, string>) => json(await client.request('GET', `/api/2.0/mlflow${path}`, { query }));
      const [v1, v2] = double.models.get('penguins')!.versions;
      const fields = (v: typeof v1, extra: Record<string, unknown>) => ({
        name: 'penguins', version: v.version, creation_timestamp: v.creation_timestamp, last_updated_timestamp: v.last_updated_timestamp,
        current_stage: 'None', description: '', source, run_id: v.run_id, status: 'READY', ...extra, run_link: '',
      });
      const v1Fields = fields(v1, { tags: [{ key: 'rookery.metric.accuracy_mean', value: '0.99' }] });
      expect(v1.run_id).toBe(runId);
      expect(v2.run_id).toBe('');

      // model-versions/search: SqlModelVersion.to_mlflow_entity() passes aliases=[], so no `aliases` key at all
      const search = await get('/model-versions/search', { filter: "name='penguins'" });
      expect(search).toEqual({ model_versions: [fields(v2, {}), v1Fields] });
      expect(JSON.stringify(search)).not.toContain('aliases');
      expect((await client.searchModelVersions("name='penguins'")).every((mv) => mv.aliases === undefined)).toBe(true);

      // a registered model carries its own aliases list; its latest_versions do not
      const model = (await get('/registered-models/get', { name: 'penguins' })).registered_model;
      expect(model).toEqual({
        name: 'penguins', creation_timestamp: expect.any(Number), last_updated_timestamp: expect.any(Number),
        latest_versions: [fields(v2, {})],
        aliases: [{ alias: 'champion', version: '1' }, { alias: 'candidate', version: '2' }, { alias: 'best', version: '1' }],
      });
      expect((await get('/registered-models/search', {})).registered_models).toEqual([model]);

      // get and get-by-alias populate the version's aliases
      expect((await get('/model-versions/get', { name: 'penguins', version: '1' })).model_version).toEqual({ ...v1Fields, aliases: ['champion', 'best'] });
      expect((await get('/registered-models/alias', { name: 'penguins', alias: 'candidate' })).model_version).toEqual({ ...fields(v2, {}), aliases: ['candidate'] });
    });

    it('pages model-versions/search newest first and checks max_results as the handlers do', async () => {
      await client.createRegisteredModel('penguins');
      for (let i = 0; i < 3; i++) await client.createModelVersion({ name: 'penguins', source: 'mlflow-artifacts:/0/r/artifacts/model' });
      expect((await client.searchModelVersions("name='penguins'", 2)).map((mv) => mv.version)).toEqual(['3', '2', '1']);
      const pages = double.calls('GET', '/api/2.0/mlflow/model-versions/search');
      expect(pages.map((r) => r.query.get('page_token'))).toEqual([null, Buffer.from(JSON.stringify({ offset: 2 })).toString('base64')]);
      const last = json(await client.request('GET', '/api/2.0/mlflow/model-versions/search', { query: { filter: "name='penguins'", max_results: 2, page_token: pages[1].query.get('page_token')! } }));
      expect(Object.keys(last)).toEqual(['model_versions']);
      expect(json(await client.request('GET', '/api/2.0/mlflow/model-versions/search', { query: { filter: "name='otters'" } }))).toEqual({});
      await expect(client.searchRegisteredModels(undefined, 1001)).rejects.toMatchObject({
        status: 400,
        serverMessage: `Invalid value "1001" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
      });
      await expect(client.searchModelVersions("name='penguins'", 200_001)).rejects.toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    });

    it('turns a missing alias (MLflow: 400 INVALID_PARAMETER_VALUE) or model (404) into "train and register first"', async () => {
      const noModel = await client.getModelVersionByAlias('penguins', 'champion').catch((e) => e);
      expect(noModel).toMatchObject({ name: 'MlflowError', kind: 'not-found' });
      expect(noModel.message).toMatch(/^model penguins has no alias champion in MLflow at .*: train and register first/);
      await client.createRegisteredModel('penguins');
      const noAlias = await client.getModelVersionByAlias('penguins', 'champion').catch((e) => e);
      expect(noAlias).toMatchObject({ name: 'MlflowError', kind: 'not-found' });
      expect(noAlias).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE', serverMessage: 'Registered model alias champion not found.' });
      expect(noAlias.message).toContain('model penguins has no alias champion');
    });

    it('passes MLflow’s alias-name rules through', async () => {
      await client.createRegisteredModel('penguins');
      await client.createModelVersion({ name: 'penguins', source: 'mlflow-artifacts:/0/r/artifacts/model' });
      await expect(client.setRegisteredModelAlias('penguins', 'latest', 1)).rejects.toThrow(/'latest' alias name \(case insensitive\) is reserved/);
      await expect(client.setRegisteredModelAlias('penguins', 'v2', 1)).rejects.toThrow(/Version alias name 'v2' is reserved/);
      await expect(client.setRegisteredModelAlias('penguins', 'champion', 7)).rejects.toMatchObject({ name: 'MlflowError', kind: 'not-found' });
    });
  });

  describe('proxied artifacts', () => {
    it('uploads with PUT, lists one level with base names, and downloads', async () => {
      await client.uploadArtifact('1/abc/artifacts/model/MLmodel', Buffer.from('flavors: {}\n'), 'text/plain');
      await client.uploadArtifact('1/abc/artifacts/model/sub dir/x.json', Buffer.from('{}'), 'application/json');
      const [put] = double.calls('PUT', '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/MLmodel');
      expect(put.headers['content-type']).toBe('text/plain');
      expect(double.artifacts.get('1/abc/artifacts/model/sub dir/x.json')?.toString()).toBe('{}');
      expect(await client.listArtifacts('1/abc/artifacts/model')).toEqual([
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'sub dir', is_dir: true },
      ]);
      expect(await client.listArtifacts('1/nothing/here')).toEqual([]);
      expect((await client.downloadArtifact('1/abc/artifacts/model/sub dir/x.json')).toString()).toBe('{}');
    });

    it('maps a missing file (the artifact repository fails: 500) to a server error naming the request', async () => {
      const err = await client.downloadArtifact('1/none').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'server' });
      expect(err.message).toContain('failed GET /api/2.0/mlflow-artifacts/artifacts/1/none with HTTP 500');
    });

    it('explains a server started with --no-serve-artifacts', async () => {
      await double.close();
      double = await MlflowDouble.start({ serveArtifacts: false });
      ({ client } = clientFor(double));
      const err = await client.listArtifacts('x').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'server' });
      expect(err.message).toMatch(/does not serve artifacts: start it with `mlflow server --serve-artifacts`/);
    });
  });

  describe('errors that say what to do', () => {
    it('unreachable server: suggests the tunnel, after retrying', async () => {
      const uri = await closedPortUri();
      const c = new MlflowClient({ trackingUri: uri, clock, retry: { maxRetries: 2 } });
      const err = await c.getExperimentByName('penguins').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'unreachable' });
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toBe(`cannot reach MLflow at ${uri} (ECONNREFUSED): is the tunnel open? run \`rookery mlflow tunnel\` (or check MLFLOW_TRACKING_URI)`);
      expect(clock.sleeps).toHaveLength(2);
    });

    it('no answer within the timeout counts as unreachable', async () => {
      const { uri, server } = await serve(() => undefined);
      try {
        const c = new MlflowClient({ trackingUri: uri, clock, timeoutMs: 200, retry: { maxRetries: 0 } });
        await expect(c.getExperimentByName('x')).rejects.toThrow(/cannot reach MLflow at .* \(no answer within 0\.2 s\): is the tunnel open/);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('401 without credentials: authentication required, where the password is', async () => {
      const { client: anonymous } = clientFor(double);
      const err = await anonymous.getExperimentByName('penguins').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'auth' });
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/^authentication required for MLflow at .* \(HTTP 401 for GET \/api\/2\.0\/mlflow\/experiments\/get-by-name\): check MLFLOW_TRACKING_USERNAME\/MLFLOW_TRACKING_PASSWORD \(the admin password is in the secret named by the AdminSecretArn output of MlflowStack\)$/);
    });

    it('401 with a wrong password, or a token the basic-auth app does not take: wrong credentials', async () => {
      for (const options of [{ username: 'admin', password: 'nope' }, { token: 'some-token' }]) {
        const { client: c } = clientFor(double, options);
        const err = await c.createExperiment('x').catch((e) => e);
        expect(err).toMatchObject({ name: 'MlflowError', kind: 'auth' });
        expect(err.message).toMatch(/^wrong credentials for MLflow at /);
      }
      const bearer = double.requests.find((r) => r.headers.authorization?.startsWith('Bearer'));
      expect(bearer?.headers.authorization).toBe('Bearer some-token');
    });

    it('403 for a user without permission: ask for it', async () => {
      await double.close();
      double = await MlflowDouble.start({ users: [ADMIN, { username: 'reader', password: 'pw' }] });
      const { client: reader } = clientFor(double, { username: 'reader', password: 'pw' });
      const err = await reader.createRun({ experimentId: '0' }).catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'auth' });
      expect(err.message).toMatch(/denied POST \/api\/2\.0\/mlflow\/runs\/create to user reader \(HTTP 403\): ask an MLflow admin for EDIT or MANAGE permission/);
      // A user owns what it creates (MANAGE), as in MLflow's auth app.
      const own = await reader.createExperiment('mine');
      await expect(reader.createRun({ experimentId: own })).resolves.toBeTruthy();
    });

    it('a tracking URI that is not the server root: 404 from Flask, not an MLflow error body', async () => {
      const { client: c } = clientFor(double, { ...ADMIN, trackingUri: `${double.uri}/mlflow` });
      const err = await c.getExperimentByName('x').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'server' });
      expect(err.message).toMatch(/\/mlflow has no GET \/api\/2\.0\/mlflow\/experiments\/get-by-name \(HTTP 404\): is MLFLOW_TRACKING_URI the server's root URL/);
    });

    it('a server that answers 200 with something other than JSON', async () => {
      const { uri, server } = await serve((_req, res) => res.end('<html>hello</html>'));
      try {
        const err = await new MlflowClient({ trackingUri: uri, clock }).getExperimentByName('x').catch((e) => e);
        expect(err).toMatchObject({ name: 'MlflowError', kind: 'server' });
        expect(err.message).toMatch(/not a JSON object .*is MLFLOW_TRACKING_URI an MLflow tracking server\?/);
      } finally {
        server.close();
      }
    });

    it('POST without application/json is MLflow’s 400 INVALID_PARAMETER_VALUE', async () => {
      const err = await client.request('POST', '/api/2.0/mlflow/experiments/create', { body: '{"name":"x"}', contentType: 'text/plain' }).catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'invalid-request' });
      expect(err.serverMessage).toBe("Bad Request. Content-Type must be one of [application/json]. Got 'text/plain'.");
    });

    it('a missing required parameter', async () => {
      const err = await client.request('POST', '/api/2.0/mlflow/registered-models/create', { body: '{}', contentType: 'application/json' }).catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'invalid-request' });
      expect(err.serverMessage).toBe("Missing value for required parameter 'name'. See the API docs for more information about request parameters.");
    });

    it('a 5xx that is not retried points at the server log', async () => {
      double.inject({ path: '/api/2.0/mlflow/experiments/get-by-name', status: 500, times: 1 });
      const err = await client.getExperimentByName('x').catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'server' });
      expect(err.message).toContain('journalctl -u mlflow');
      expect(double.calls('GET', '/api/2.0/mlflow/experiments/get-by-name')).toHaveLength(1);
    });
  });

  describe('retries', () => {
    it('retries 503 with exponential backoff and jitter, then succeeds', async () => {
      double.inject({ path: '/api/2.0/mlflow/experiments/create', status: 503, times: 2 });
      const events: string[] = [];
      const c = new MlflowClient({ trackingUri: double.uri, ...ADMIN, clock, onRetry: (e) => events.push(`${e.request} #${e.retry} ${e.reason}`) });
      expect(await c.createExperiment('penguins')).toBe('1');
      expect(double.calls('POST', '/api/2.0/mlflow/experiments/create')).toHaveLength(3);
      // base 500 ms doubling, half of each delay drawn at random (random() = 0.5 here)
      expect(clock.sleeps).toEqual([375, 750]);
      expect(events).toEqual(['POST /api/2.0/mlflow/experiments/create #1 HTTP 503', 'POST /api/2.0/mlflow/experiments/create #2 HTTP 503']);
    });

    it('honours Retry-After on 429', async () => {
      double.inject({ path: '/api/2.0/mlflow/registered-models/search', status: 429, retryAfter: '3', times: 1 });
      expect(await client.searchRegisteredModels()).toEqual([]);
      expect(clock.sleeps).toEqual([3000]);
    });

    it('retries a connection reset', async () => {
      double.inject({ path: '/api/2.0/mlflow/experiments/get-by-name', reset: true, times: 1 });
      expect(await client.getExperimentByName('none')).toBeUndefined();
      expect(clock.sleeps).toHaveLength(1);
    });

    it('gives up after the last retry with the server’s answer', async () => {
      double.inject({ path: '/api/2.0/mlflow/registered-models/search', status: 503, times: 100 });
      const c = new MlflowClient({ trackingUri: double.uri, ...ADMIN, clock, retry: { maxRetries: 3 } });
      const err = await c.searchRegisteredModels().catch((e) => e);
      expect(err).toMatchObject({ name: 'MlflowError', kind: 'server' });
      expect(err).toMatchObject({ status: 503, errorCode: 'TEMPORARILY_UNAVAILABLE' });
      expect(double.calls('GET', '/api/2.0/mlflow/registered-models/search')).toHaveLength(4);
      expect(clock.sleeps).toEqual([375, 750, 1500]);
    });

    it('does not retry client errors', async () => {
      await client.createExperiment('x');
      await expect(client.createExperiment('x')).rejects.toMatchObject({ name: 'MlflowError', kind: 'already-exists' });
      expect(double.calls('POST', '/api/2.0/mlflow/experiments/create')).toHaveLength(2);
      expect(clock.sleeps).toEqual([]);
    });
  });

  it('answers /health without credentials, like the auth app', async () => {
    const res = await fetch(`${double.uri}/health`);
    expect(await res.text()).toBe('OK');
  });

  it('answers unknown methods on known routes with 405, as Flask does', async () => {
    const err = await client.request('PUT', '/api/2.0/mlflow/experiments/create').catch((e) => e);
    expect(err.status).toBe(405);
  });

  it('serves the same API under /ajax-api, as MLflow does', async () => {
    const r = await client.request('GET', '/ajax-api/2.0/mlflow/registered-models/search');
    expect(json(r)).toEqual({});
  });
});
