import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { connect, type AmlConnection } from '../../scripts/azure/connection.ts';
import { existingModel, uploadModel } from '../../scripts/azure/model.ts';
import { MODEL_HASH_TAG, modelContentHash, modelFiles } from '../../model/content-hash.ts';
import { ArmDouble, FakeCredential, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE } from './arm-double.ts';
import { makeRegistry } from './fixtures.ts';
import { rejection } from '../helpers/rejection.ts';

let arm: ArmDouble;
let conn: AmlConnection;
let credential: FakeCredential;
const lines: string[] = [];
const out = (line: string) => lines.push(line);

beforeEach(async () => {
  arm = await ArmDouble.start();
  credential = new FakeCredential();
  conn = await connect({ subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE }, { credential, armBaseUrl: arm.url, ca: arm.ca });
  lines.length = 0;
});
afterEach(() => arm.close());

describe('uploadModel', () => {
  it('uploads every file with a storage token and registers the folder as a custom model', async () => {
    const dir = join(makeRegistry(4, [4]), 'penguins', 'versions', '4');
    const folder = `penguins/4-${modelContentHash(modelFiles(dir)).slice(0, 12)}`;
    const model = await uploadModel(conn, { dir, name: 'penguins', version: '4' }, { out, blobServiceUrl: `${arm.url}/blob` });
    expect(model).toEqual({ name: 'penguins', version: '4', id: `${arm.workspacePrefix}/models/penguins/versions/4` });

    // The registry's version.json is bookkeeping, not model (model/content-hash.ts): it is not uploaded.
    expect([...arm.blobs.keys()].sort()).toEqual([`rookery-models/${folder}/MLmodel`, `rookery-models/${folder}/model.json`]);
    expect(arm.blobs.get(`rookery-models/${folder}/model.json`)!.equals(readFileSync(join(dir, 'model.json')))).toBe(true);
    const upload = arm.requests.find((r) => r.path === `/blob/rookery-models/${folder}/MLmodel`)!;
    expect(upload.headers['content-md5']).toBe(createHash('md5').update(readFileSync(join(dir, 'MLmodel'))).digest('base64'));
    expect(credential.scopes).toContain('https://storage.azure.com/.default');

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
    await uploadModel(conn, { dir, name: 'penguins', version: '4' }, { out, blobServiceUrl: `${arm.url}/blob` });
    const uploads = arm.blobs.size;
    await uploadModel(conn, { dir, name: 'penguins', version: '4' }, { out, blobServiceUrl: `${arm.url}/blob` });
    expect(arm.blobs.size).toBe(uploads);
    expect(lines.at(-1)).toBe('model penguins:4 is already registered with these files');

    const other = join(makeRegistry(4, [4]), 'penguins', 'versions', '4');
    writeFileSync(join(other, 'model.json'), JSON.stringify({ retrained: true }));
    const err = await rejection(uploadModel(conn, { dir: other, name: 'penguins', version: '4' }, { out, blobServiceUrl: `${arm.url}/blob` }));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('already has model penguins:4 with different files');
  });

  it('says which role is missing when storage refuses the upload', async () => {
    const dir = join(makeRegistry(4, [4]), 'penguins', 'versions', '4');
    arm.refuse.set(`/blob/rookery-models/penguins/4-${modelContentHash(modelFiles(dir)).slice(0, 12)}/MLmodel`, 403);
    const err = await rejection(uploadModel(conn, { dir, name: 'penguins', version: '4' }, { out, blobServiceUrl: `${arm.url}/blob` }));
    expect(err.message).toMatch(/^storage account rkteststorage refused the upload of MLmodel \(HTTP 403\): your account needs Storage Blob Data Contributor on container rookery-models/);
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
