/**
 * The one way rookery reaches an Azure Blob Storage container: the capture
 * sink in the serving program (DATA_COLLECTION_URI) and the blob store behind
 * `rookery label` / `monitor` / `score` both open their container here.
 *
 * Credentials, first that applies:
 * - a credential passed in (tests: azurite's tokens or shared key);
 * - AZURE_STORAGE_KEY: the account's shared key, as `az storage` takes it
 *   (for emulators and for users who work with keys; never set in a deployment);
 * - DefaultAzureCredential: in Azure ML, the deployment's managed identity
 *   (AZURE_CLIENT_ID picks a user-assigned one); on a laptop, `az login`.
 *
 * @azure/storage-blob and @azure/identity are loaded on first use, so the
 * serving bundle pays for them only when a blob location is chosen.
 */
import type { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { parseBlobUri, type BlobLocation } from '../cloud/blob-location.ts';

export type BlobCredential = TokenCredential | StorageSharedKeyCredential;

export interface BlobContainerOptions {
  /** A credential of your own; default: AZURE_STORAGE_KEY from `env`, else DefaultAzureCredential. */
  credential?: BlobCredential;
  /** Where AZURE_STORAGE_KEY is read; default process.env (only entry points pass it). */
  env?: NodeJS.ProcessEnv;
}

export interface OpenedContainer {
  location: BlobLocation;
  client: ContainerClient;
}

/** Opens the container a blob URI names (no request is made until the client is used). */
export async function openBlobContainer(uri: string, options: BlobContainerOptions = {}): Promise<OpenedContainer> {
  const location = parseBlobUri(uri);
  const blob = await import('@azure/storage-blob');
  const key = (options.env ?? process.env).AZURE_STORAGE_KEY;
  const credential =
    options.credential ?? (key ? new blob.StorageSharedKeyCredential(location.account, key) : new (await import('@azure/identity')).DefaultAzureCredential());
  const service = new blob.BlobServiceClient(location.serviceUrl, credential, {
    // The SDK's own retries would hide a failing store from the capture batcher, which has its own (capture/batcher.ts).
    retryOptions: { maxTries: 2, tryTimeoutInMs: 30_000 },
  });
  return { location, client: service.getContainerClient(location.container) };
}

