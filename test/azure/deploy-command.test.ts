import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../scripts/cli.ts';
import { commands } from '../../scripts/commands/index.ts';
import { UserError } from '../../model/user-error.ts';
import { parseModelArg, runAzureDeploy } from '../../scripts/commands/azure-deploy.ts';
import { ArmDouble, FakeCredential, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE } from './arm-double.ts';
import { makeRegistry, REPO_ROOT } from './fixtures.ts';
import { AZURITE_ACCOUNT, AZURITE_KEY, useAzurite } from '../helpers/azurite.ts';

// The model's blob service: azurite over http with its account key (see model.test.ts for why not tokens).
const azurite = useAzurite();
const blobCredential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
beforeAll(async () => {
  if (azurite.available) await new BlobServiceClient(azurite.server.url, blobCredential).getContainerClient('rookery-models').create();
}, 60_000);

describe('rookery deploy azure', () => {
  it('is a registered two-word command with help', async () => {
    const printed: string[] = [];
    expect(await main(['deploy', 'azure', '--help'], commands, (l) => printed.push(l))).toBe(0);
    expect(printed[0]).toMatch(/^Usage: rookery deploy azure --endpoint NAME --model MODEL/);
    expect(printed[0]).toContain('az login');
  });

  it('requires an endpoint and a model (usage errors exit 2)', async () => {
    await expect(main(['deploy', 'azure', '--model', 'azureml:penguins:1'], commands)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('--endpoint NAME is required') });
    await expect(main(['deploy', 'azure', '--endpoint', 'e'], commands)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('--model is required') });
  });

  it('reads --model as a workspace model, a directory or a registry reference', () => {
    const registry = makeRegistry(4, [4]);
    expect(parseModelArg('azureml:penguins:4')).toEqual({ kind: 'workspace', name: 'penguins', version: '4' });
    expect(parseModelArg('penguins:4')).toEqual({ kind: 'workspace', name: 'penguins', version: '4' });
    expect(parseModelArg(join(registry, 'penguins', 'versions', '4'))).toEqual({ kind: 'local', dir: join(registry, 'penguins', 'versions', '4'), name: 'penguins', version: '4' });
    expect(parseModelArg('models:/penguins@champion')).toEqual({ kind: 'registry', ref: 'models:/penguins@champion' });
    expect(() => parseModelArg(REPO_ROOT + '/azure')).toThrow(/holds no model/);
    expect(() => parseModelArg('not a model!')).toThrow(UserError);
  });
});

describe('runAzureDeploy against the ARM double', () => {
  let arm: ArmDouble;
  beforeEach(async () => {
    arm = await ArmDouble.start();
    arm.seedEndpoint('rktest-endpoint');
  });
  afterEach(() => arm.close());

  it.skipIf(!azurite.available)('uploads a local registry version and rolls it out', async () => {
    const registry = makeRegistry(4, [3, 4]);
    const lines: string[] = [];
    const previous = process.env.ROOKERY_REGISTRY;
    process.env.ROOKERY_REGISTRY = registry;
    try {
      const outcome = await runAzureDeploy(
        { endpoint: 'rktest-endpoint', model: 'models:/penguins@champion', subscription: SUBSCRIPTION, 'resource-group': RESOURCE_GROUP, workspace: WORKSPACE },
        (l) => lines.push(l),
        { credential: new FakeCredential(), armBaseUrl: arm.url, ca: arm.ca, blobServiceUrl: azurite.server.url, blobCredential, pollIntervalMs: 1 },
      );
      expect(outcome).toEqual({ previous: 'blue', current: 'green' });
    } finally {
      if (previous === undefined) delete process.env.ROOKERY_REGISTRY;
      else process.env.ROOKERY_REGISTRY = previous;
    }
    expect(arm.models.has('penguins:4')).toBe(true);
    expect(lines[0]).toMatch(/^uploading 2 files of penguins:4 to rkteststorage\/rookery-models\/penguins\/4-[0-9a-f]{12}\/$/);
    expect(lines).toContain("no example request to probe green with; Azure's readiness probe passed");
    expect(arm.endpoints.get('rktest-endpoint')!.traffic).toEqual({ green: 100 });
  });

  it('turns a missing login into the one-line az login message', async () => {
    const { CredentialUnavailableError } = await import('@azure/identity');
    await expect(
      runAzureDeploy(
        { endpoint: 'rktest-endpoint', model: 'azureml:penguins:3', subscription: SUBSCRIPTION, 'resource-group': RESOURCE_GROUP, workspace: WORKSPACE },
        () => {},
        { credential: new FakeCredential(new CredentialUnavailableError('no credential')), armBaseUrl: arm.url, ca: arm.ca },
      ),
    ).rejects.toMatchObject({ name: 'UserError', message: 'not logged in to Azure: run `az login` (and `az account set --subscription ...`)' });
  });
});
