import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelContentHash, modelFiles } from '../../model/content-hash.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { UserError } from '../../model/user-error.ts';
import { resolveModel } from '../../registry/resolve.ts';
import { readRegistrySettings } from '../../registry/settings.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { rejection } from '../helpers/rejection.ts';

const tempDir = useTempDirs('rookery-resolve-');

function artifact(tag: string): string {
  const dir = join(tempDir(), 'artifact');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), `flavors: {rookery: {data: model.json}}\ntag: ${tag}\n`);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ tag }));
  return dir;
}

async function registryWithTwoVersions(): Promise<string> {
  const root = join(tempDir(), 'registry');
  const registry = new LocalRegistry(root);
  await registry.register('penguins', artifact('one'), { alias: 'champion' });
  await registry.register('penguins', artifact('two'), { alias: null });
  return root;
}

describe('resolveModel', () => {
  it('the default is penguins@champion in the local registry, named without any path', async () => {
    const root = await registryWithTwoVersions();
    const m = await resolveModel(undefined, { settings: readRegistrySettings({ ROOKERY_REGISTRY: root }), cwd: tempDir() });
    expect(m).toMatchObject({ name: 'penguins', version: 1, origin: 'penguins@champion (version 1) from the local registry', dir: join(root, 'penguins', 'versions', '1') });
    expect(m.sha256).toBe(modelContentHash(modelFiles(m.dir)));
    expect(m.origin).not.toContain(root);
  });

  it('reads versions and the latest the same way, and a registry folder as that version', async () => {
    const root = await registryWithTwoVersions();
    const settings = readRegistrySettings({ ROOKERY_REGISTRY: root });
    expect(await resolveModel('penguins/2', { settings, cwd: tempDir() })).toMatchObject({ version: 2, origin: 'penguins version 2 from the local registry' });
    expect(await resolveModel('models:/penguins', { settings, cwd: tempDir() })).toMatchObject({ version: 2 });
    const byFolder = await resolveModel(join(root, 'penguins', 'versions', '2'), { settings, cwd: tempDir() });
    expect(byFolder).toMatchObject({ name: 'penguins', version: 2, origin: 'the model directory 2' });
    // The same files give the same identity whichever way they were named.
    expect(byFolder.sha256).toBe((await resolveModel('penguins/2', { settings, cwd: tempDir() })).sha256);
  });

  it('a folder is read in place without touching MLflow, even when MLFLOW_TRACKING_URI is set', async () => {
    const dir = artifact('solo');
    const settings = readRegistrySettings({ MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' });
    expect(await resolveModel(dir, { settings, cwd: tempDir(), source: '-c model' })).toMatchObject({ dir, name: 'penguins', origin: 'the model directory artifact' });
  });

  it('says what is missing as one UserError, naming how the user wrote it', async () => {
    const settings = readRegistrySettings({ ROOKERY_REGISTRY: join(tempDir(), 'empty') });
    const missing = await rejection(resolveModel('models:/penguins@champion', { settings, cwd: tempDir() }));
    expect(missing).toBeInstanceOf(UserError);
    expect(missing.message).toMatch(/^no penguins@champion in the local registry .*empty; run `npm start` or `rookery train` to train and register one$/);
    const cwd = tempDir();
    const noModel = await rejection(resolveModel('nowhere', { settings, cwd, source: '--model' }));
    expect(noModel.message).toBe(`${join(cwd, 'nowhere')} (from --model) holds no model: there is no such folder, and it is not a registry reference like models:/penguins@champion`);
    const empty = tempDir();
    expect((await rejection(resolveModel(empty, { settings, cwd }))).message).toBe(`${empty} holds no model: expected an MLmodel file there or up to two folders below`);
  });

  it('a bad MLFLOW_TRACKING_URI is a UserError before anything is resolved', () => {
    expect(() => readRegistrySettings({ MLFLOW_TRACKING_URI: 'ftp://x' })).toThrow(/must be an http:\/\/ or https:\/\/ tracking server; unset it to use the local registry/);
  });
});
