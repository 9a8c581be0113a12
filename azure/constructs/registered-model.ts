/**
 * A model version in the workspace: its files uploaded to the model
 * datastore's container under a prefix keyed by their content hash, and
 * registered as a custom model tagged with that hash.
 */
import { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob/index.js';
import { AssetType, TerraformAsset, type TerraformMetaArguments } from 'cdktf';
import type { Construct } from 'constructs';
import { datastoreUri, modelBlobPrefix } from '../../cloud/azure-ml.ts';
import type { ModelSource } from '../model-source.ts';
import { ModelVersion } from './aml-assets.ts';
import { FlatConstruct } from './flat.ts';

export interface RegisteredModelProps {
  /** The resolved model: folder, registered name and version, files with their MD5s, content hash, origin. */
  readonly model: ModelSource;
  readonly workspaceId: string;
  /** Where the files go: the storage account and container the model datastore reads. */
  readonly storageAccountName: string;
  readonly containerName: string;
  /** What the datastore URI names: subscription, resource group and workspace. */
  readonly datastore: { readonly subscriptionId: string; readonly resourceGroupName: string; readonly workspaceName: string };
  /** @default none */
  readonly dependsOn?: TerraformMetaArguments['dependsOn'];
}

export class RegisteredModel extends FlatConstruct {
  readonly version: ModelVersion;
  /** `<name>/<version>-<hash prefix>` inside the container. */
  readonly blobPrefix: string;

  constructor(scope: Construct, id: string, props: RegisteredModelProps) {
    super(scope, id);
    const { model, datastore } = props;
    // The model's files, copied into the synth output so the plain-Terraform path has them too.
    const asset = new TerraformAsset(this, 'model_files', { path: model.dir, type: AssetType.DIRECTORY });
    this.blobPrefix = modelBlobPrefix(model.name, model.version, model.sha256);
    const uploads = model.files.map(
      (file) =>
        new StorageBlob(this, `model_blob_${file.replace(/[^A-Za-z0-9]/g, '_')}`, {
          name: `${this.blobPrefix}/${file}`,
          storageAccountName: props.storageAccountName,
          storageContainerName: props.containerName,
          type: 'Block',
          source: `${asset.path}/${file}`,
          contentMd5: model.contentMd5[file],
        }),
    );
    this.version = new ModelVersion(this, 'model', {
      workspaceId: props.workspaceId,
      name: model.name,
      version: model.version,
      modelUri: datastoreUri(datastore.subscriptionId, datastore.resourceGroupName, datastore.workspaceName, this.blobPrefix),
      sha256: model.sha256,
      description: model.origin,
      dependsOn: [...(props.dependsOn ?? []), ...uploads],
    });
  }
}
