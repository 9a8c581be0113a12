/**
 * Where model files live: a private blob container in the workspace's
 * storage account and an identity-based Azure ML datastore over it. The
 * workspace reads it; the deployer writes it, so `rookery deploy azure` can
 * upload later versions with the deployer's own Entra token.
 */
import { MachineLearningDatastoreBlobstorage } from '@cdktf/provider-azurerm/lib/machine-learning-datastore-blobstorage/index.js';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container/index.js';
import type { Construct } from 'constructs';
import { MODEL_CONTAINER, MODEL_DATASTORE } from '../../cloud/azure-ml.ts';
import { FlatConstruct } from './flat.ts';

/** A blob container's Azure resource ID: the scope a role on that container alone is assigned at. */
export function blobContainerId(storageAccountId: string, container: string): string {
  return `${storageAccountId}/blobServices/default/containers/${container}`;
}

/**
 * The container behind the workspace's default datastore (workspaceblobstore),
 * which Azure ML creates as `azureml-blobstore-<workspace GUID>` and where its
 * data collector writes payload logs (`modelDataCollector/`).
 */
export function workspaceBlobStoreContainer(workspaceGuid: string): string {
  return `azureml-blobstore-${workspaceGuid}`;
}

export interface ModelDatastoreProps {
  readonly storageAccountId: string;
  readonly workspaceId: string;
  /** The workspace's system-assigned identity (reads the models). */
  readonly workspacePrincipalId: string;
  /** Whoever runs the deploy (writes models). */
  readonly deployerObjectId: string;
}

export class ModelDatastore extends FlatConstruct {
  readonly container: StorageContainer;
  readonly datastore: MachineLearningDatastoreBlobstorage;

  constructor(scope: Construct, id: string, props: ModelDatastoreProps) {
    super(scope, id);
    this.container = new StorageContainer(this, 'model_container', { name: MODEL_CONTAINER, storageAccountId: props.storageAccountId, containerAccessType: 'private' });
    new RoleAssignment(this, 'workspace_model_reader', {
      scope: this.container.resourceManagerId,
      roleDefinitionName: 'Storage Blob Data Reader',
      principalId: props.workspacePrincipalId,
      principalType: 'ServicePrincipal',
    });
    new RoleAssignment(this, 'deployer_model_writer', {
      scope: this.container.resourceManagerId,
      roleDefinitionName: 'Storage Blob Data Contributor',
      principalId: props.deployerObjectId,
    });
    this.datastore = new MachineLearningDatastoreBlobstorage(this, 'model_datastore', {
      name: MODEL_DATASTORE,
      workspaceId: props.workspaceId,
      storageContainerId: this.container.resourceManagerId,
      // Identity-based: no key or SAS stored in the workspace.
      serviceDataAuthIdentity: 'WorkspaceSystemAssignedIdentity',
    });
  }
}
