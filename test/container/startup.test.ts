// Start-up: where the model comes from, which port, health before and after
// the model loads, configuration errors, and `rookery serve` being the same
// program as the image entry.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact, type LoadedArtifact } from '../../model/artifact.ts';
import { readServeConfig, resolveModelSource } from '../../container/config.ts';
import { UserError } from '../../model/user-error.ts';
import { DEFAULT_MODEL_REF } from '../../model/defaults.ts';
import { ROUTES, SERVING_PORT } from '../../container/contract.ts';
import { startServer, type RunningServer } from '../../container/server.ts';
import { imageEntrypoint } from '../../scripts/dockerfile.ts';
import { freePort } from '../../scripts/free-port.ts';
import { fixture, request, ROW, runToExit, scratchDir, serve, stopAll, type Fixture } from '../helpers/server.ts';

let f: Fixture;

beforeAll(async () => {
  f = await fixture();
});

afterAll(async () => {
  await stopAll();
});

/** A copy of the trained model at `dir`. */
function modelCopy(dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(f.modelDir, dir, { recursive: true });
  return dir;
}

const modelDirOf = async (url: string) => (await request(url, { path: ROUTES.health })).json().model.dir as string;

describe('health before the model has loaded (in process, with a load that waits)', () => {
  let running: RunningServer;
  let finishLoad: (m: LoadedArtifact) => void;

  beforeAll(async () => {
    running = await startServer({
      port: 0,
      host: '127.0.0.1',
      loadModel: () => new Promise<LoadedArtifact>((resolve) => (finishLoad = resolve)),
      captureByDefault: false,
      log: () => {},
    });
  });

  afterAll(async () => {
    await running?.stop(2_000);
  });

  it('answers 503 on /ping, /health, /ready and /invocations, 200 on /live; then 200 once loaded', async () => {
    const url = `http://127.0.0.1:${running.port}`;
    expect((await request(url, { path: ROUTES.ping })).status).toBe(503);
    const health = await request(url, { path: ROUTES.health });
    expect([health.status, health.json().status]).toEqual([503, 'loading']);
    const ready = await request(url, { path: ROUTES.ready });
    expect([ready.status, ready.json()]).toEqual([503, { ready: false }]);
    expect((await request(url, { path: ROUTES.live })).status).toBe(200);
    const early = await request(url, { body: { inputs: [ROW] } });
    expect([early.status, early.json().error_code]).toEqual([503, 'TEMPORARILY_UNAVAILABLE']);

    finishLoad(loadArtifact(f.modelDir));
    await running.ready;
    expect((await request(url, { path: ROUTES.ping })).status).toBe(200);
    expect((await request(url, { path: ROUTES.ready })).status).toBe(200);
    expect((await request(url, { body: { inputs: [ROW] } })).status).toBe(200);
  });
});

describe('a model that cannot load', () => {
  it('a missing model directory: a clear message and exit 1', async () => {
    const missing = join(scratchDir('missing'), 'nowhere');
    const exit = await runToExit(['serve', '--port', '0', '--model', missing]);
    expect(exit.code).toBe(1);
    expect(exit.stdout + exit.stderr).toContain(`cannot load the model: ${missing} (from --model) holds no model`);
    expect(exit.stdout + exit.stderr).not.toMatch(/\n\s+at /);
  });

  it('a broken artifact: the message names the file; exit 1', async () => {
    const dir = modelCopy(join(scratchDir('broken'), 'model'));
    writeFileSync(join(dir, 'model.json'), '{"format": "rookery-logistic/v1", ');
    const exit = await runToExit(['serve', '--port', '0', '--model', dir]);
    expect(exit.code).toBe(1);
    expect(exit.stdout + exit.stderr).toContain(`${join(dir, 'model.json')}: not valid JSON`);
  });

  it('health reports the failure while the process is still up (in process)', async () => {
    const running = await startServer({ port: 0, host: '127.0.0.1', loadModel: async () => Promise.reject(new Error('boom')), captureByDefault: false, log: () => {} });
    await expect(running.ready).rejects.toThrow('boom');
    const url = `http://127.0.0.1:${running.port}`;
    const health = await request(url, { path: ROUTES.health });
    expect([health.status, health.json().status, health.json().error]).toEqual([503, 'failed', 'boom']);
    const score = await request(url, { body: { inputs: [ROW] } });
    expect([score.status, score.json().message]).toEqual([503, 'the model failed to load: boom']);
    await running.stop(1_000);
  });
});

describe('configuration errors: one line naming the setting, exit ≠ 0', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['a bad SAGEMAKER_BIND_TO_PORT', [], { SAGEMAKER_BIND_TO_PORT: 'eighty' }, /SAGEMAKER_BIND_TO_PORT="eighty" is not a port number/],
    ['an out-of-range SAGEMAKER_BIND_TO_PORT', [], { SAGEMAKER_BIND_TO_PORT: '70000' }, /SAGEMAKER_BIND_TO_PORT="70000"/],
    ['a bad --port', ['--port', '80a'], {}, /--port="80a" is not a port number/],
    ['a bad DATA_CAPTURE', ['--port', '0'], { DATA_CAPTURE: 'maybe' }, /DATA_CAPTURE="maybe" is not a boolean/],
    ['a bad DATA_COLLECTION_URI', ['--port', '0'], { DATA_COLLECTION_URI: 's3://bucket/capture' }, /DATA_COLLECTION_URI: .*s3:\/\/bucket\/capture.* is not supported/],
    ['AZUREML_MODEL_DIR without a model', ['--port', '0'], { AZUREML_MODEL_DIR: '/' + 'nonexistent-azureml-dir' }, /AZUREML_MODEL_DIR=\/nonexistent-azureml-dir has no MLmodel file/],
    ['an unknown flag', ['--port', '0', '--modle', 'x'], {}, /--modle/],
  ];
  for (const [name, args, env, message] of cases) {
    it(name, async () => {
      const exit = await runToExit(['serve', ...args], { env });
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      const lines = exit.stderr.trim().split('\n');
      expect(lines, exit.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^rookery: /);
      expect(lines[0]).toMatch(message);
      expect(exit.stdout).not.toContain('listening on');
    });
  }

  it('a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const exit = await runToExit(['serve', '--port', String(port), '--model', f.modelDir]);
      expect(exit.code).toBe(1);
      expect(exit.stderr.trim()).toBe(`rookery: port ${port} is in use: stop the other server or pass --port`);
    } finally {
      blocker.close();
    }
  });
});

describe('the port: --port, else SAGEMAKER_BIND_TO_PORT, else 8080', () => {
  it('listens on SAGEMAKER_BIND_TO_PORT when there is no --port', async () => {
    const port = await freePort();
    const s = await serve({ port: null, env: { SAGEMAKER_BIND_TO_PORT: String(port) } });
    expect(s.port).toBe(port);
    expect((await request(s, { path: ROUTES.ping })).status).toBe(200);
    await s.stop();
  });

  it('--port wins over SAGEMAKER_BIND_TO_PORT', async () => {
    const port = await freePort();
    const wanted = await freePort();
    const s = await serve({ port: String(wanted), env: { SAGEMAKER_BIND_TO_PORT: String(port) } });
    expect(s.port).toBe(wanted);
    await s.stop();
  });

  it('defaults to 8080, on loopback outside the image and on all interfaces inside it (readServeConfig)', () => {
    const model = { model: f.modelDir };
    expect(readServeConfig(model, {}).port).toBe(SERVING_PORT);
    expect(SERVING_PORT).toBe(8080);
    expect(readServeConfig(model, { SAGEMAKER_BIND_TO_PORT: '' }).port).toBe(8080);
    expect(readServeConfig(model, { SAGEMAKER_BIND_TO_PORT: '9000' }).port).toBe(9000);
    expect(readServeConfig({ ...model, port: '7000' }, { SAGEMAKER_BIND_TO_PORT: '9000' }).port).toBe(7000);
    expect(readServeConfig(model, {}).host).toBe('127.0.0.1');
    expect(readServeConfig(model, { ROOKERY_IMAGE: '1' }).host).toBe('0.0.0.0');
    expect(readServeConfig(model, { ROOKERY_IMAGE: '1', HOST: '127.0.0.2' }).host).toBe('127.0.0.2');
  });

  it('reads DATA_CAPTURE as a boolean and DATA_COLLECTION_URI with its default', () => {
    const model = { model: f.modelDir };
    for (const v of ['true', 'TRUE', '1', 'yes', ' true ']) expect(readServeConfig(model, { DATA_CAPTURE: v }).captureByDefault).toBe(true);
    for (const v of ['false', '0', 'no', '']) expect(readServeConfig(model, { DATA_CAPTURE: v }).captureByDefault).toBe(false);
    expect(readServeConfig(model, {}).captureByDefault).toBe(false);
    expect(readServeConfig(model, {}).captureUri).toBe('sqlite:///penguins.db');
    expect(() => readServeConfig(model, { DATA_CAPTURE: 'on' })).toThrow(UserError);
  });
});

describe('where the model comes from: --model; MODEL_DIR; /opt/ml/model; AZUREML_MODEL_DIR (one or two folders down); the registry champion', () => {
  it('--model wins over MODEL_DIR', async () => {
    const root = scratchDir('precedence');
    const flag = modelCopy(join(root, 'flag'));
    const env = modelCopy(join(root, 'env'));
    const s = await serve({ model: flag, env: { MODEL_DIR: env, ROOKERY_REGISTRY: f.registryDir } });
    expect(await modelDirOf(s.url)).toBe(flag);
    expect(s.stdout()).toContain('(model from --model)');
    await s.stop();
  });

  it('MODEL_DIR wins over AZUREML_MODEL_DIR and the registry', async () => {
    const root = scratchDir('precedence');
    const env = modelCopy(join(root, 'env'));
    const azure = modelCopy(join(root, 'azureml', 'penguins', '1'));
    const s = await serve({ model: null, env: { MODEL_DIR: env, AZUREML_MODEL_DIR: join(root, 'azureml'), ROOKERY_REGISTRY: f.registryDir } });
    expect(await modelDirOf(s.url)).toBe(env);
    expect(s.stdout()).toContain('(model from MODEL_DIR)');
    expect(azure).not.toBe(env);
    await s.stop();
  });

  it.skipIf(process.platform !== 'linux')('AZUREML_MODEL_DIR with the model two folders below, then one, wins over the registry', async () => {
    const root = scratchDir('azureml');
    const two = modelCopy(join(root, 'two', 'penguins', '3'));
    const s = await serve({ model: null, env: { AZUREML_MODEL_DIR: join(root, 'two'), ROOKERY_REGISTRY: f.registryDir } });
    expect(await modelDirOf(s.url)).toBe(two);
    expect(s.stdout()).toContain('(model from AZUREML_MODEL_DIR)');
    await s.stop();
    const one = modelCopy(join(root, 'one', 'model'));
    const s1 = await serve({ model: null, env: { AZUREML_MODEL_DIR: join(root, 'one') } });
    expect(await modelDirOf(s1.url)).toBe(one);
    await s1.stop();
  });

  it('nothing set: the local registry’s penguins@champion (ROOKERY_REGISTRY)', async () => {
    const s = await serve({ model: null, env: { ROOKERY_REGISTRY: f.registryDir } });
    expect(await modelDirOf(s.url)).toBe(join(f.registryDir, 'penguins', 'versions', '1'));
    expect(s.stdout()).toContain('(model from default (local registry champion))');
    await s.stop();
  });

  it('--model takes a registry reference too', async () => {
    for (const ref of ['models:/penguins@champion', 'models:/penguins/1']) {
      const s = await serve({ model: ref, env: { ROOKERY_REGISTRY: f.registryDir } });
      expect(await modelDirOf(s.url)).toBe(join(f.registryDir, 'penguins', 'versions', '1'));
      await s.stop();
    }
  });

  it('an empty registry: exit 1 naming what is missing', async () => {
    const exit = await runToExit(['serve', '--port', '0'], { env: { ROOKERY_REGISTRY: scratchDir('empty-registry') } });
    expect(exit.code).toBe(1);
    expect(exit.stdout + exit.stderr).toMatch(/cannot load the model: .*penguins/);
  });

  it('the SageMaker directory comes after the flag and MODEL_DIR, before AZUREML_MODEL_DIR (resolveModelSource)', () => {
    const root = scratchDir('sagemaker');
    const sagemaker = modelCopy(join(root, 'opt', 'ml', 'model'));
    const azure = join(root, 'azureml');
    modelCopy(join(azure, 'penguins', '1'));
    const env = { AZUREML_MODEL_DIR: azure, MODEL_DIR: '/models/env' };
    expect(resolveModelSource('/models/flag', env, sagemaker)).toEqual({ kind: 'dir', dir: '/models/flag', origin: '--model' });
    expect(resolveModelSource(undefined, env, sagemaker)).toEqual({ kind: 'dir', dir: '/models/env', origin: 'MODEL_DIR' });
    expect(resolveModelSource(undefined, { AZUREML_MODEL_DIR: azure }, sagemaker)).toEqual({ kind: 'dir', dir: sagemaker, origin: 'SageMaker model directory' });
    const absent = join(root, 'absent');
    expect(resolveModelSource(undefined, { AZUREML_MODEL_DIR: azure }, absent)).toEqual({ kind: 'dir', dir: join(azure, 'penguins', '1'), origin: 'AZUREML_MODEL_DIR' });
    expect(resolveModelSource(undefined, {}, absent)).toEqual({ kind: 'registry', ref: DEFAULT_MODEL_REF, origin: 'default (local registry champion)' });
    expect(DEFAULT_MODEL_REF).toBe('models:/penguins@champion');
    expect(resolveModelSource('models:/penguins/2', {}, absent)).toMatchObject({ kind: 'registry', ref: 'models:/penguins/2' });
    expect(resolveModelSource('penguins@champion', {}, absent)).toMatchObject({ kind: 'registry' });
    // The same reading as `cdk -c model=` and `rookery deploy`: NAME/VERSION is a registry version unless such a folder exists.
    expect(resolveModelSource('penguins/2', {}, absent)).toMatchObject({ kind: 'registry', ref: 'penguins/2' });
    expect(() => resolveModelSource(undefined, { AZUREML_MODEL_DIR: root + '/nothing' }, absent)).toThrow(UserError);
  });
});

describe('`rookery serve` and the image entry are one program', () => {
  it('the same help, and the same answers to the same requests', async () => {
    const tsxCli = join(process.cwd(), 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const { spawn } = await import('node:child_process');
    const run = (cmd: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('close', () => resolve(out));
      });
    const cliHelp = await run([tsxCli, 'scripts/rookery.ts', 'serve', '--help']);
    const imageHelp = await run([...imageEntrypoint().nodeOptions, f.bundle, 'serve', '--help']);
    expect(cliHelp).toContain('Usage: rookery serve');
    expect(imageHelp).toBe(cliHelp);

    const image = await serve();
    const cliChild = spawn(process.execPath, [tsxCli, 'scripts/rookery.ts', 'serve', '--port', '0', '--model', f.modelDir], { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd() });
    try {
      let out = '';
      cliChild.stdout.setEncoding('utf8').on('data', (d) => (out += d));
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`rookery serve did not start: ${out}`)), 20_000);
        cliChild.stdout.on('data', () => {
          const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
      });
      const cliUrl = `http://127.0.0.1:${port}`;
      const bodies: [object | string, string][] = [
        [{ dataframe_records: [ROW, { ...ROW, island: 'Biscoe', culmen_depth_mm: 13 }] }, 'application/json'],
        [[ROW], 'application/json'],
        [{ inputs: [{ ...ROW, sex: 1 }] }, 'application/json'],
        ['island,sex\nBiscoe,MALE\n', 'text/csv'],
        [{}, 'text/plain'],
      ];
      for (const [body, contentType] of bodies) {
        const a = await request(image, { body, contentType });
        const b = await request(cliUrl, { body, contentType });
        expect([b.status, b.text]).toEqual([a.status, a.text]);
      }
    } finally {
      cliChild.kill('SIGTERM');
      await image.stop();
    }
  });
});
