import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadDirectory, guessContentType, modelVersionArtifactPath, proxiedArtifactPath, uploadDirectory } from '../../registry/mlflow/artifacts.ts';
import type { MlflowClient } from '../../registry/mlflow/client.ts';
import { MlflowError } from '../../registry/mlflow/errors.ts';
import { clientFor } from './helpers.ts';
import { MlflowDouble } from './mlflow-double.ts';

describe('proxiedArtifactPath', () => {
  it('reads every URI form a --serve-artifacts server hands out', () => {
    expect(proxiedArtifactPath('mlflow-artifacts:/1/abc/artifacts')).toBe('1/abc/artifacts');
    expect(proxiedArtifactPath('mlflow-artifacts:/1/abc/artifacts/model/')).toBe('1/abc/artifacts/model');
    expect(proxiedArtifactPath('mlflow-artifacts://127.0.0.1:5000/1/abc/artifacts')).toBe('1/abc/artifacts');
    expect(proxiedArtifactPath('mlflow-artifacts://ip-10-0-0-5.ec2.internal/2/r/artifacts/model')).toBe('2/r/artifacts/model');
    expect(proxiedArtifactPath('http://localhost:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts')).toBe('1/abc/artifacts');
    expect(proxiedArtifactPath('mlflow-artifacts:/1/../../etc')).toBe('etc');
  });

  it('refuses locations the tracking server does not proxy, saying why', () => {
    expect(() => proxiedArtifactPath('s3://bucket/1/abc/artifacts')).toThrow(MlflowError);
    expect(() => proxiedArtifactPath('s3://bucket/1/abc/artifacts')).toThrow(/not served by the tracking server: .*--serve-artifacts/);
    expect(() => proxiedArtifactPath('/var/mlruns/1/abc')).toThrow(/not served/);
    expect(() => proxiedArtifactPath('http://host/elsewhere')).toThrow(/not served/);
  });
});

describe('guessContentType', () => {
  it('labels the model files', () => {
    expect(guessContentType('/x/MLmodel')).toBe('text/plain');
    expect(guessContentType('model.json')).toBe('application/json');
    expect(guessContentType('weights.bin')).toBe('application/octet-stream');
  });
});

describe('directories through the proxied artifact API', () => {
  let double: MlflowDouble;
  let client: MlflowClient;
  let work: string;

  beforeEach(async () => {
    double = await MlflowDouble.start();
    ({ client } = clientFor(double));
    work = mkdtempSync(join(tmpdir(), 'rookery-mlflow-artifacts-'));
  });
  afterEach(async () => {
    await double.close();
    rmSync(work, { recursive: true, force: true });
  });

  function modelDir(): string {
    const dir = join(work, 'model');
    mkdirSync(join(dir, 'extra', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'MLmodel'), 'flavors:\n  rookery: {}\n');
    writeFileSync(join(dir, 'model.json'), '{"format":"x"}\n');
    writeFileSync(join(dir, 'extra', 'deep', 'notes.txt'), 'hi');
    return dir;
  }

  it('uploads a tree file by file and downloads it back byte for byte', async () => {
    const sent = await uploadDirectory(client, modelDir(), '1/run/artifacts/model');
    expect(sent).toEqual(['MLmodel', 'extra/deep/notes.txt', 'model.json']);
    expect([...double.artifacts.keys()].sort()).toEqual(['1/run/artifacts/model/MLmodel', '1/run/artifacts/model/extra/deep/notes.txt', '1/run/artifacts/model/model.json']);
    const dest = join(work, 'cache', 'penguins', '1');
    const got = await downloadDirectory(client, '1/run/artifacts/model', dest);
    expect(got.sort()).toEqual(['MLmodel', 'extra/deep/notes.txt', 'model.json']);
    expect(readFileSync(join(dest, 'extra', 'deep', 'notes.txt'), 'utf8')).toBe('hi');
    expect(readdirSync(join(work, 'cache', 'penguins'))).toEqual(['1']);
  });

  it('leaves nothing behind when a download fails half way', async () => {
    await uploadDirectory(client, modelDir(), '1/run/artifacts/model');
    double.inject({ path: '/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model/model.json', status: 500, times: 1 });
    const dest = join(work, 'cache', 'm');
    await expect(downloadDirectory(client, '1/run/artifacts/model', dest)).rejects.toMatchObject({ name: 'MlflowError', kind: 'server' });
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(join(work, 'cache'))).toEqual([]);
  });

  it('says when there is nothing to download', async () => {
    await expect(downloadDirectory(client, '1/none/artifacts/model', join(work, 'x'))).rejects.toThrow(/has no files under 1\/none\/artifacts\/model: was the model's artifact uploaded\?/);
  });

  describe('modelVersionArtifactPath', () => {
    async function version(source: string, runId?: string): Promise<string> {
      if (!double.models.has('penguins')) await client.createRegisteredModel('penguins');
      return (await client.createModelVersion({ name: 'penguins', source, ...(runId ? { runId } : {}) })).version;
    }

    it('uses get-download-uri for an mlflow-artifacts source', async () => {
      const v = await version('mlflow-artifacts:/1/abc/artifacts/model');
      expect(await modelVersionArtifactPath(client, 'penguins', v)).toBe('1/abc/artifacts/model');
      expect(double.calls('GET', '/api/2.0/mlflow/model-versions/get-download-uri')).toHaveLength(1);
    });

    it('follows a runs:/ source to the run’s artifact root', async () => {
      const run = await client.createRun({ experimentId: '0' });
      const v = await version(`runs:/${run.info.run_id}/model`, run.info.run_id);
      expect(await modelVersionArtifactPath(client, 'penguins', v)).toBe(`0/${run.info.run_id}/artifacts/model`);
    });

    it('follows a models:/ source (stored resolved by the server, or by alias)', async () => {
      const v1 = await version('mlflow-artifacts:/1/abc/artifacts/model');
      const v2 = await version(`models:/penguins/${v1}`);
      expect(await modelVersionArtifactPath(client, 'penguins', v2)).toBe('1/abc/artifacts/model');
      await client.setRegisteredModelAlias('penguins', 'champion', v1);
      // A source the server keeps as written (it only resolves models:/NAME/N): resolved here.
      double.models.get('penguins')!.versions.at(-1)!.storage_location = 'models:/penguins@champion';
      expect(await modelVersionArtifactPath(client, 'penguins', v2)).toBe('1/abc/artifacts/model');
    });

    it('reads the host form of mlflow-artifacts URIs', async () => {
      const v = await version('mlflow-artifacts://10.0.0.5:5000/3/r/artifacts/model');
      expect(await modelVersionArtifactPath(client, 'penguins', v)).toBe('3/r/artifacts/model');
    });
  });
});
