/**
 * One model, one identity on both clouds: the Azure app keys the uploaded
 * blobs and tags the workspace model version with the same content hash
 * that AWS tags its SageMaker model with (model/archive.ts), under the same tag name.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../cloud/azure-ml.ts';
import { buildModelArchive } from '../../model/archive.ts';
import { MODEL_HASH_TAG } from '../../model/content-hash.ts';
import { azapi, makeRegistry, synthAzure } from './fixtures.ts';

describe('the Azure model version’s content hash', () => {
  it('is the hash AWS gives the same registry version, under the same tag', async () => {
    const registry = makeRegistry(2, [1, 2]);
    const aws = buildModelArchive(join(registry, 'penguins', 'versions', '2'));
    const s = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rkhash', ROOKERY_REGISTRY: registry });

    const model = azapi(s.json, RESOURCE_TYPES.modelVersion);
    expect(model.body.properties.tags).toEqual({ [MODEL_HASH_TAG]: aws.sha256 });
    expect(MODEL_HASH_TAG).toBe('rookery:model-sha256');
    // The same files: what SageMaker's archive holds is what Azure uploads, under a prefix keyed by that hash.
    const blobs = (Object.values(s.json.resource.azurerm_storage_blob) as any[]).map((b) => b.name).sort();
    expect(blobs).toEqual(aws.files.map((f) => `penguins/2-${aws.sha256.slice(0, 12)}/${f}`));
  });
});
