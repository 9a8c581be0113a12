import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../azure/config.ts';
import { errorOf, loadAzure, makeRegistry, REPO_ROOT } from './fixtures.ts';

/** The configuration with the model resolved, as azure/main.ts reads them before synth. */
const read = async (env: Record<string, string>, context: Record<string, unknown> = {}) => {
  const { config, model } = await loadAzure(env, context);
  return { ...config, model };
};

describe('readAzureConfig', () => {
  it('defaults to the local registry’s champion and the documented sizes', async () => {
    const registry = makeRegistry(3, [1, 2, 3]);
    const config = await read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: registry });
    expect(config.names.workspace).toBe('rktest-mlw');
    expect(config.location).toBe('eastus');
    expect(config.instanceType).toBe('Standard_DS3_v2');
    expect(config.instanceCount).toBe(1);
    expect(config.deploymentName).toBe('blue');
    expect(config.imageBuild).toBe('acr');
    expect(config.model).toMatchObject({ dir: join(registry, 'penguins', 'versions', '3'), name: 'penguins', version: '3' });
    // The registry's version.json is bookkeeping, not model (model/content-hash.ts): it is not uploaded.
    expect(config.model.files).toEqual(['MLmodel', 'model.json']);
    expect(config.model.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('asks for a prefix when none is set, saying what a good one looks like', async () => {
    const message = await errorOf(() => read({ ROOKERY_REGISTRY: makeRegistry() }));
    expect(message).toMatch(/^ROOKERY_AZURE_PREFIX is not set: choose 3–21 lowercase letters/);
  });

  it('names a bad prefix and where it came from', async () => {
    expect(await errorOf(() => read({ ROOKERY_AZURE_PREFIX: 'My_Prefix' }))).toContain('ROOKERY_AZURE_PREFIX="My_Prefix" is not a valid name prefix');
    expect(await errorOf(() => read({}, { prefix: 'x' }))).toContain('context "prefix"="x" is not a valid name prefix');
  });

  it('takes environment variables over cdktf context, and context over defaults', async () => {
    const registry = makeRegistry();
    const context = { prefix: 'fromcontext', instanceType: 'Standard_F4s_v2', instanceCount: 3, location: 'westeurope' };
    const fromContext = await read({ ROOKERY_REGISTRY: registry }, context);
    expect(fromContext).toMatchObject({ prefix: 'fromcontext', instanceType: 'Standard_F4s_v2', instanceCount: 3, location: 'westeurope' });
    const fromEnv = await read({ ROOKERY_REGISTRY: registry, ROOKERY_AZURE_PREFIX: 'fromenv', ROOKERY_AZURE_INSTANCE_COUNT: '2' }, context);
    expect(fromEnv).toMatchObject({ prefix: 'fromenv', instanceCount: 2 });
  });

  it.each([
    [{ ROOKERY_AZURE_INSTANCE_COUNT: '0' }, 'ROOKERY_AZURE_INSTANCE_COUNT="0" must be a whole number from 1 to 20'],
    [{ ROOKERY_AZURE_INSTANCE_COUNT: '1.5' }, 'must be a whole number'],
    [{ ROOKERY_AZURE_INSTANCE_TYPE: 'DS3' }, 'ROOKERY_AZURE_INSTANCE_TYPE="DS3" is not a VM size'],
    [{ ROOKERY_AZURE_LOCATION: 'East-US!' }, 'is not an Azure region name'],
    [{ ROOKERY_AZURE_IMAGE_BUILD: 'podman' }, 'must be "acr"'],
    [{ ROOKERY_AZURE_ENDPOINT: 'x' }, 'endpoint name "x" breaks Azure\'s rule'],
    [{ ROOKERY_AZURE_DEPLOYMENT: '-bad' }, 'is not a deployment name'],
  ])('rejects %j', async (extra, expected) => {
    const env = { ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(), ...extra };
    expect(await errorOf(() => read(env))).toContain(expected);
  });

  it('normalizes a region written with spaces and capitals', async () => {
    expect((await read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(), ROOKERY_AZURE_LOCATION: 'West Europe' })).location).toBe('westeurope');
  });

  it('tells the user to train first when the registry has no champion', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rookery-azure-empty-registry-'));
    const message = await errorOf(() => read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: empty }));
    expect(message).toBe(`no penguins@champion in the local registry ${empty}; run \`npm start\` or \`rookery train\` to train and register one, or set ROOKERY_AZURE_MODEL_DIR`);
  });

  it('describes where the model came from without any path', async () => {
    const registry = makeRegistry(3, [1, 2, 3]);
    expect((await read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: registry })).model.origin).toBe('penguins@champion (version 3) from the local registry');
    const dir = join(registry, 'penguins', 'versions', '2');
    expect((await read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_AZURE_MODEL_DIR: dir })).model.origin).toBe(
      'penguins version 2 from the folder ROOKERY_AZURE_MODEL_DIR names',
    );
  });

  it('reads the version from an explicit registry folder and requires it for any other folder', async () => {
    const registry = makeRegistry(2, [1, 2]);
    const env = { ROOKERY_AZURE_PREFIX: 'rktest' };
    const explicit = await read({ ...env, ROOKERY_AZURE_MODEL_DIR: join(registry, 'penguins', 'versions', '1') });
    expect(explicit.model.version).toBe('1');
    const copy = join(registry, 'penguins', 'versions', '2');
    expect((await read({ ...env, ROOKERY_AZURE_MODEL_DIR: copy, ROOKERY_AZURE_MODEL_VERSION: '7' })).model.version).toBe('7');
    expect(await errorOf(() => read({ ...env, ROOKERY_AZURE_MODEL_DIR: REPO_ROOT }))).toContain('holds no model');
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'rookery-azure-model-')), 'model');
    cpSync(copy, elsewhere, { recursive: true });
    expect(await errorOf(() => read({ ...env, ROOKERY_AZURE_MODEL_DIR: elsewhere }))).toBe(
      `ROOKERY_AZURE_MODEL_DIR=${elsewhere} is not a registry version folder (…/versions/<n>), so the workspace model version is unknown: set ROOKERY_AZURE_MODEL_VERSION`,
    );
    expect((await read({ ...env, ROOKERY_AZURE_MODEL_DIR: elsewhere, ROOKERY_AZURE_MODEL_VERSION: '9' })).model).toMatchObject({ name: 'penguins', version: '9' });
  });

  it('documents its defaults in one place', () => {
    expect(DEFAULTS).toMatchObject({ instanceType: 'Standard_DS3_v2', instanceCount: 1 });
  });
});
