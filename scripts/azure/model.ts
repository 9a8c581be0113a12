/**
 * Getting a model into the workspace for `rookery deploy azure`: its files
 * uploaded to the `rookery_models` datastore's container through the Azure
 * Blob store (with the connection's own Entra credential; `cdktf deploy azure`
 * grants the deployer Storage Blob Data Contributor there) and the folder registered as a model version, the same
 * layout and registration the Azure app uses for the initial model.
 */
import { readFileSync } from 'node:fs';
import type { AzureBlobDatastore } from '@azure/arm-machinelearning';
import { datastoreUri, MODEL_DATASTORE, modelBlobPrefix } from '../../cloud/azure-ml.ts';
import { MODEL_HASH_TAG, modelContentHash, modelFiles } from '../../model/content-hash.ts';
import { UserError } from '../../model/user-error.ts';
import { azureCall, explainAzureError, workspacePath, type AmlConnection } from './connection.ts';
import type { BlobCredential } from '../../container/blob-client.ts';
import { AzureBlobStore } from '../store/azure-blob-store.ts';

export interface LocalModel {
  dir: string;
  name: string;
  version: string;
}

export interface RegisteredModel {
  name: string;
  version: string;
  /** ARM ID of the model version, as a deployment's `model` takes it. */
  id: string;
}

export function modelVersionId(conn: AmlConnection, name: string, version: string): string {
  return `${workspacePath(conn.ref)}/models/${name}/versions/${version}`;
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/** A model version already in the workspace (`azureml:NAME:VERSION`); fails clearly when it is not there. */
export async function existingModel(conn: AmlConnection, name: string, version: string): Promise<RegisteredModel> {
  const { resourceGroup, workspace } = conn.ref;
  await azureCall(`model ${name}:${version} in workspace ${workspace}`, () => conn.client.modelVersions.get(resourceGroup, workspace, name, version));
  return { name, version, id: modelVersionId(conn, name, version) };
}

export interface UploadOptions {
  out: (line: string) => void;
  /** Blob service base URL; default `https://<account>.blob.<endpoint suffix>` from the datastore. */
  blobServiceUrl?: string;
  /** Who signs the uploads; default: the connection's credential (tests: azurite's shared key). */
  blobCredential?: BlobCredential;
}

/**
 * Uploads and registers a local model directory as NAME:VERSION, or reuses
 * that version when the workspace already has it with the same files.
 */
export async function uploadModel(conn: AmlConnection, model: LocalModel, options: UploadOptions): Promise<RegisteredModel> {
  const { resourceGroup, workspace, subscriptionId } = conn.ref;
  const label = `${model.name}:${model.version}`;
  const files = modelFiles(model.dir);
  const sha256 = modelContentHash(files);

  let existing: Awaited<ReturnType<typeof conn.client.modelVersions.get>> | undefined;
  try {
    existing = await conn.client.modelVersions.get(resourceGroup, workspace, model.name, model.version);
  } catch (err) {
    if (!isNotFound(err)) throw explainAzureError(err, `model ${label} in workspace ${workspace}`);
  }
  if (existing) {
    if (existing.properties.tags?.[MODEL_HASH_TAG] === sha256) {
      options.out(`model ${label} is already registered with these files`);
      return { name: model.name, version: model.version, id: modelVersionId(conn, model.name, model.version) };
    }
    throw new UserError(`workspace ${workspace} already has model ${label} with different files; registered versions cannot change, so register this one under another version (--model-version)`);
  }

  const datastore = await azureCall(`datastore ${MODEL_DATASTORE} in workspace ${workspace} (created by \`cdktf deploy azure\`)`, () =>
    conn.client.datastores.get(resourceGroup, workspace, MODEL_DATASTORE),
  );
  const blob = datastore.properties as AzureBlobDatastore;
  if (blob.datastoreType !== 'AzureBlob' || !blob.accountName || !blob.containerName) {
    throw new UserError(`datastore ${MODEL_DATASTORE} in workspace ${workspace} is not a blob container datastore`);
  }
  const base = (options.blobServiceUrl ?? `${blob.protocol ?? 'https'}://${blob.accountName}.blob.${blob.endpoint ?? 'core.windows.net'}`).replace(/\/+$/, '');
  const prefix = modelBlobPrefix(model.name, model.version, sha256);
  options.out(`uploading ${files.length} files of ${label} to ${blob.accountName}/${blob.containerName}/${prefix}/`);
  // A 403 becomes the store's one line naming Storage Blob Data Contributor on the container (role assignments can take minutes to apply).
  const store = new AzureBlobStore(`${base}/${blob.containerName}/${prefix}`, { credential: options.blobCredential ?? conn.credential });
  for (const { path: file, file: source } of files) await store.write(file, readFileSync(source));

  await azureCall(`registering model ${label}`, () =>
    conn.client.modelVersions.createOrUpdate(resourceGroup, workspace, model.name, model.version, {
      properties: {
        modelUri: datastoreUri(subscriptionId, resourceGroup, workspace, prefix),
        modelType: 'custom_model',
        description: `${label} uploaded by rookery deploy azure`,
        tags: { [MODEL_HASH_TAG]: sha256 },
      },
    }),
  );
  options.out(`registered model ${label}`);
  return { name: model.name, version: model.version, id: modelVersionId(conn, model.name, model.version) };
}
