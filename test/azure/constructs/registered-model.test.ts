import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegisteredModel } from '../../../azure/constructs/registered-model.ts';
import type { ModelSource } from '../../../azure/model-source.ts';
import { MODEL_HASH_TAG } from '../../../model/content-hash.ts';
import { resources, synthConstruct } from './synth.ts';

function model(): ModelSource {
  const dir = mkdtempSync(join(tmpdir(), 'rookery-registered-model-'));
  writeFileSync(join(dir, 'MLmodel'), 'x');
  writeFileSync(join(dir, 'model.json'), '{}');
  return {
    dir,
    name: 'cars',
    version: '7',
    files: ['MLmodel', 'model.json'],
    contentMd5: { MLmodel: 'md5-a', 'model.json': 'md5-b' },
    sha256: 'ab'.repeat(32),
    origin: 'cars version 7 from MLflow',
  };
}

describe('RegisteredModel', () => {
  it('uploads each file under <name>/<version>-<hash> with its MD5 and registers the folder tagged with the hash', () => {
    const json = synthConstruct(
      (stack) =>
        new RegisteredModel(stack, 'RegisteredModel', {
          model: model(),
          workspaceId: 'WS',
          storageAccountName: 'st',
          containerName: 'models',
          datastore: { subscriptionId: 'SUB', resourceGroupName: 'g', workspaceName: 'w' },
          dependsOn: [],
        }),
    );
    const blobs = resources(json, 'azurerm_storage_blob');
    expect(Object.keys(blobs).sort()).toEqual(['model_blob_MLmodel', 'model_blob_model_json']);
    expect(blobs.model_blob_model_json).toMatchObject({ name: 'cars/7-abababababab/model.json', content_md5: 'md5-b', storage_account_name: 'st', storage_container_name: 'models' });
    expect(blobs.model_blob_model_json.source).toMatch(/^assets\/model_files\/[0-9A-F]+\/model\.json$/);
    const version = Object.values(resources(json, 'azapi_resource'))[0] as any;
    expect(version).toMatchObject({ name: '7', parent_id: 'WS/models/cars' });
    expect(version.body.properties).toEqual({
      description: 'cars version 7 from MLflow',
      modelUri: 'azureml://subscriptions/SUB/resourcegroups/g/workspaces/w/datastores/rookery_models/paths/cars/7-abababababab/',
      modelType: 'custom_model',
      tags: { [MODEL_HASH_TAG]: 'ab'.repeat(32) },
    });
    expect(version.depends_on).toEqual(['azurerm_storage_blob.model_blob_MLmodel', 'azurerm_storage_blob.model_blob_model_json']);
  });
});
