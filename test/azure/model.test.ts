import { StorageSharedKeyCredential, type ContainerClient, BlobServiceClient } from '@azure/storage-blob';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { connect, type AmlConnection } from '../../scripts/azure/connection.ts';
import { existingModel, uploadModel } from '../../scripts/azure/model.ts';
import { MODEL_HASH_TAG, modelContentHash, modelFiles } from '../../model/content-hash.ts';
import { ArmDouble, FakeCredential, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE } from './arm-double.ts';
import { makeRegistry } from './fixtures.ts';
import { rejection } from '../helpers/rejection.ts';
import { AZURITE_ACCOUNT, AZURITE_INSTALL, AZURITE_KEY, useAzurite } from '../helpers/azurite.ts';

let arm: ArmDouble;
let conn: AmlConnection;
let credential: FakeCredential;
const lines: string[] = [];
const out = (line: string) => lines.push(line);
// The blob service is azurite over http with its account key: the ARM double's
// connection signs with bearer tokens, which azurite takes only over https,
// which an in-process client cannot trust (scripts/azure/azurite.ts).
const azurite = useAzurite();
const blobCredential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
let models: ContainerClient;
const upload = () => ({ out, blobServiceUrl: azurite.server.url, blobCredential });

async function uploaded(): Promise<string[]> {
  const names: string[] = [];
  for await (const item of models.listBlobsFlat()) names.push(item.name);
  return names.sort();
}

beforeAll(async () => {
  if (!azurite.available) return;
  models = new BlobServiceClient(azurite.server.url, blobCredential).getContainerClient('rookery-models');
  await models.create();
}, 60_000);

beforeEach(async () => {
  arm = await ArmDouble.start();
  credential = new FakeCredential();
  conn = await connect({ subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE }, { credential, armBaseUrl: arm.url, ca: arm.ca });
  lines.length = 0;
  if (azurite.available) for (const name of await uploaded()) await models.deleteBlob(name);
});
afterEach(() => arm.close());

describe('uploadModel', () => {
  if (!azurite.available) {
    it.skip(AZURITE_INSTALL, () => {});
    return;
  }
  it('uploads every file to the datastore container and registers the folder as a custom model', async () => {
    const dir = join(makeRegistry(4, [4]), 'penguins', 'versions', '4');
    const folder = `penguins/4-${modelContentHash(modelFiles(dir)).slice(0, 12)}`;
    const model = await uploadModel(conn, { dir, name: 'penguins', version: '4' }, upload());
    expect(model).toEqual({ name: 'penguins', version: '4', id: `${arm.workspacePrefix}/models/penguins/versions/4` });

    // The registry's version.json is bookkeeping, not model (model/content-hash.ts): it is not uploaded.
    expect(await uploaded()).toEqual([`${folder}/MLmodel`, `${folder}/model.json`]);
    expect((await models.getBlobClient(`${folder}/model.json`).downloadToBuffer()).equals(readFileSync(join(dir, 'model.json')))).toBe(true);

    const registered = arm.models.get('penguins:4');
    expect(registered.properties).toMatchObject({
      modelType: 'custom_model',
      modelUri: `azureml://subscriptions/${SUBSCRIPTION}/resourcegroups/${RESOURCE_GROUP}/workspaces/${WORKSPACE}/datastores/rookery_models/paths/${folder}/`,
    });
    expect(registered.properties.tags[MODEL_HASH_TAG]).toMatch(/^[0-9a-f]{64}$/);
    expect(lines).toEqual([`uploading 2 files of penguins:4 to rkteststorage/rookery-models/${folder}/`, 'registered model penguins:4']);
  });

  it('reuses a version already registered with the same files and refuses one with different files', async () => {
    const registry = makeRegistry(4, [4]);
    const dir = join(registry, 'penguins', 'versions', '4');
    await uploadModel(conn, { dir, name: 'penguins', version: '4' }, upload());
    const uploads = await uploaded();
    for (const name of uploads) await models.deleteBlob(name);
    await uploadModel(conn, { dir, name: 'penguins', version: '4' }, upload());
    expect(await uploaded()).toEqual([]);
    expect(uploads).toHaveLength(2);
    expect(lines.at(-1)).toBe('model penguins:4 is already registered with these files');

    const other = join(makeRegistry(4, [4]), 'penguins', 'versions', '4');
    writeFileSync(join(other, 'model.json'), JSON.stringify({ retrained: true }));
    const err = await rejection(uploadModel(conn, { dir: other, name: 'penguins', version: '4' }, upload()));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('already has model penguins:4 with different files');
  });

  it('fails in one line and registers nothing when storage refuses the upload', async () => {
    const dir = join(makeRegistry(4, [4]), 'penguins', 'versions', '4');
    const wrongKey = new StorageSharedKeyCredential(AZURITE_ACCOUNT, Buffer.from('not the key').toString('base64'));
    const err = await rejection(uploadModel(conn, { dir, name: 'penguins', version: '4' }, { ...upload(), blobCredential: wrongKey }));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/^writing http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/rookery-models\/penguins\/4-[0-9a-f]{12}\/MLmodel: the storage account refused the shared key/);
    expect(arm.models.size).toBe(0);
  });
});

describe('existingModel', () => {
  it('accepts a registered version and names a missing one', async () => {
    arm.models.set('penguins:2', { properties: {} });
    expect((await existingModel(conn, 'penguins', '2')).id).toBe(`${arm.workspacePrefix}/models/penguins/versions/2`);
    const err = await rejection(existingModel(conn, 'penguins', '9'));
    expect(err.message).toBe(`model penguins:9 in workspace ${WORKSPACE} not found (model penguins:9 not found)`);
  });
});
