import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, readAzureConfig } from '../../azure/config.ts';
import { makeRegistry, REPO_ROOT } from './fixtures.ts';

const read = (env: Record<string, string>, context: Record<string, unknown> = {}) =>
  readAzureConfig({ env, context: (k) => context[k], repoRoot: REPO_ROOT });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('readAzureConfig', () => {
  it('defaults to the local registry’s champion and the documented sizes', () => {
    const registry = makeRegistry(3, [1, 2, 3]);
    const config = read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: registry });
    expect(config.names.workspace).toBe('rktest-mlw');
    expect(config.location).toBe('eastus');
    expect(config.instanceType).toBe('Standard_DS3_v2');
    expect(config.instanceCount).toBe(1);
    expect(config.deploymentName).toBe('blue');
    expect(config.imageBuild).toBe('acr');
    expect(config.model).toMatchObject({ dir: join(registry, 'penguins', 'versions', '3'), name: 'penguins', version: '3' });
    expect(config.model.files).toEqual(['MLmodel', 'model.json', 'version.json']);
    expect(config.model.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('asks for a prefix when none is set, saying what a good one looks like', () => {
    const message = errorOf(() => read({ ROOKERY_REGISTRY: makeRegistry() }));
    expect(message).toMatch(/^ROOKERY_AZURE_PREFIX is not set: choose 3–21 lowercase letters/);
  });

  it('names a bad prefix and where it came from', () => {
    expect(errorOf(() => read({ ROOKERY_AZURE_PREFIX: 'My_Prefix' }))).toContain('ROOKERY_AZURE_PREFIX="My_Prefix" is not a valid name prefix');
    expect(errorOf(() => read({}, { prefix: 'x' }))).toContain('context "prefix"="x" is not a valid name prefix');
  });

  it('takes environment variables over cdktf context, and context over defaults', () => {
    const registry = makeRegistry();
    const context = { prefix: 'fromcontext', instanceType: 'Standard_F4s_v2', instanceCount: 3, location: 'westeurope' };
    const fromContext = read({ ROOKERY_REGISTRY: registry }, context);
    expect(fromContext).toMatchObject({ prefix: 'fromcontext', instanceType: 'Standard_F4s_v2', instanceCount: 3, location: 'westeurope' });
    const fromEnv = read({ ROOKERY_REGISTRY: registry, ROOKERY_AZURE_PREFIX: 'fromenv', ROOKERY_AZURE_INSTANCE_COUNT: '2' }, context);
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
  ])('rejects %j', (extra, expected) => {
    const env = { ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(), ...extra };
    expect(errorOf(() => read(env))).toContain(expected);
  });

  it('normalizes a region written with spaces and capitals', () => {
    expect(read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(), ROOKERY_AZURE_LOCATION: 'West Europe' }).location).toBe('westeurope');
  });

  it('tells the user to train first when the registry has no champion', () => {
    const empty = mkdtempSync(join(tmpdir(), 'rookery-azure-empty-registry-'));
    const message = errorOf(() => read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: empty }));
    expect(message).toBe(`no penguins@champion model in ${empty}: run \`npm start\` or \`rookery train\` to train and register one, or set ROOKERY_AZURE_MODEL_DIR`);
  });

  it('describes where the model came from without any path', () => {
    const registry = makeRegistry(3, [1, 2, 3]);
    expect(read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: registry }).model.origin).toBe('penguins@champion (version 3) from the local registry');
    const dir = join(registry, 'penguins', 'versions', '2');
    expect(read({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_AZURE_MODEL_DIR: dir }).model.origin).toBe(
      'penguins version 2 from the folder ROOKERY_AZURE_MODEL_DIR names',
    );
  });

  it('reads the version from an explicit registry folder and requires it for any other folder', () => {
    const registry = makeRegistry(2, [1, 2]);
    const env = { ROOKERY_AZURE_PREFIX: 'rktest' };
    const explicit = read({ ...env, ROOKERY_AZURE_MODEL_DIR: join(registry, 'penguins', 'versions', '1') });
    expect(explicit.model.version).toBe('1');
    const copy = join(registry, 'penguins', 'versions', '2');
    expect(read({ ...env, ROOKERY_AZURE_MODEL_DIR: copy, ROOKERY_AZURE_MODEL_VERSION: '7' }).model.version).toBe('7');
    expect(errorOf(() => read({ ...env, ROOKERY_AZURE_MODEL_DIR: REPO_ROOT }))).toContain('holds no model');
  });

  it('documents its defaults in one place', () => {
    expect(DEFAULTS).toMatchObject({ instanceType: 'Standard_DS3_v2', instanceCount: 1 });
  });
});
