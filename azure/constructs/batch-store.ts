/**
 * Where batch-scoring jobs read and write: a private blob container in the
 * workspace's storage account and an identity-based Azure ML datastore over
 * it (Azure ML writes job outputs only through datastores). No key or SAS is
 * stored: a job reaches the files as its compute's identity, which gets its
 * role on this container alone (ComputeCluster's writeContainerIds). The
 * deployer may write too, to upload the files to score.
 */
import { MachineLearningDatastoreBlobstorage } from '@cdktf/provider-azurerm/lib/machine-learning-datastore-blobstorage/index.js';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container/index.js';
import type { Construct } from 'constructs';
import { BATCH_CONTAINER, BATCH_DATASTORE } from '../../cloud/azure-batch.ts';
import { FlatConstruct } from './flat.ts';

export interface BatchStoreProps {
  readonly storageAccountId: string;
  readonly workspaceId: string;
  /** Whoever runs the deploy (uploads inputs, reads outputs). */
  readonly deployerObjectId: string;
}

export class BatchStore extends FlatConstruct {
  readonly container: StorageContainer;
  readonly datastore: MachineLearningDatastoreBlobstorage;

  constructor(scope: Construct, id: string, props: BatchStoreProps) {
    super(scope, id);
    this.container = new StorageContainer(this, 'batch_container', { name: BATCH_CONTAINER, storageAccountId: props.storageAccountId, containerAccessType: 'private' });
    new RoleAssignment(this, 'deployer_batch_writer', {
      scope: this.container.resourceManagerId,
      roleDefinitionName: 'Storage Blob Data Contributor',
      principalId: props.deployerObjectId,
    });
    // No service identity: jobs read and write as their own (compute) identity.
    this.datastore = new MachineLearningDatastoreBlobstorage(this, 'batch_datastore', {
      name: BATCH_DATASTORE,
      workspaceId: props.workspaceId,
      storageContainerId: this.container.resourceManagerId,
    });
  }
}
