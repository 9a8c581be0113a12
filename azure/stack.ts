/**
 * The `azure` stack: an Azure ML workspace and its dependencies, the serving
 * image built into the workspace's registry, the model uploaded and
 * registered, and a managed online endpoint serving it with 100% of traffic.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Construct } from 'constructs';
import { App, AssetType, DataResource, Fn, LocalBackend, TerraformAsset, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights/index.js';
import { ContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry/index.js';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config/index.js';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault/index.js';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace/index.js';
import { MachineLearningDatastoreBlobstorage } from '@cdktf/provider-azurerm/lib/machine-learning-datastore-blobstorage/index.js';
import { MachineLearningWorkspace } from '@cdktf/provider-azurerm/lib/machine-learning-workspace/index.js';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider/index.js';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group/index.js';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account/index.js';
import { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob/index.js';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container/index.js';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity/index.js';
import { datastoreUri, ENVIRONMENT_NAME, IMAGE_REPOSITORY, MODEL_CONTAINER, MODEL_DATASTORE, modelBlobPrefix } from './aml-api.ts';
import { AzapiProvider, EndpointTraffic, EnvironmentVersion, ModelVersion, OnlineDeployment, OnlineEndpoint } from './azapi.ts';
import type { AzureAppConfig } from './config.ts';
import { imageContent, type ImageContent } from './image.ts';
import { deriveNames, PREFIX_PATTERN, PREFIX_RULE } from './names.ts';
import { LIVENESS_PROBE, READINESS_PROBE, REQUEST_SETTINGS, SERVING } from './serving.ts';

export const STACK_ID = 'azure';
/** Terraform state lives in the git-ignored .rookery folder: it holds storage keys. */
export const STATE_FILE = '.rookery/azure/terraform.tfstate';

const TAGS = { app: 'rookery', 'managed-by': 'cdktf' };

/** Built-in role names (stable across tenants). */
const ROLES = {
  acrPull: 'AcrPull',
  blobContributor: 'Storage Blob Data Contributor',
  blobReader: 'Storage Blob Data Reader',
};

export class AzureStack extends TerraformStack {
  readonly image: ImageContent;

  constructor(scope: Construct, id: string, config: AzureAppConfig) {
    super(scope, id);
    const stackDir = join(App.of(this).outdir, 'stacks', id);
    new LocalBackend(this, { path: relative(stackDir, join(config.repoRoot, STATE_FILE)) });

    this.image = imageContent({ contextDir: config.repoRoot, dockerfile: config.dockerfile });

    // The prefix is validated before synth; the variable lets plain Terraform
    // (after `cdktf synth --hcl`) take `-var prefix=...` under the same rule.
    const prefix = new TerraformVariable(this, 'prefix', {
      type: 'string',
      default: config.prefix,
      description: `Name prefix for every resource: ${PREFIX_RULE}; storage, key vault and registry names built from it are global.`,
    });
    prefix.addValidation({
      condition: Fn.can(Fn.regex(PREFIX_PATTERN.source, prefix.stringValue)),
      errorMessage: `The prefix must be ${PREFIX_RULE}.`,
    });
    const names = deriveNames(prefix.stringValue);
    const endpointName = config.endpointOverride ?? names.endpoint;

    new AzurermProvider(this, 'azurerm', {
      features: [
        {
          // `cdktf destroy` must leave nothing behind and the names free for the next deploy:
          // purge rather than soft-delete the vault, workspace and Log Analytics workspace.
          keyVault: [{ purgeSoftDeleteOnDestroy: true, recoverSoftDeletedKeyVaults: true }],
          machineLearning: [{ purgeSoftDeletedWorkspaceOnDestroy: true }],
          logAnalyticsWorkspace: [{ permanentlyDeleteOnDestroy: true }],
          // Azure adds resources of its own to the group (alert rules, endpoint internals);
          // deleting the group must take them too.
          resourceGroup: [{ preventDeletionIfContainsResources: false }],
          // Stops Application Insights creating a "Failure Anomalies" alert rule nobody manages.
          applicationInsights: [{ disableGeneratedRule: true }],
        },
      ],
    });
    new AzapiProvider(this, 'azapi');
    const client = new DataAzurermClientConfig(this, 'current', {});

    const rg = new ResourceGroup(this, 'resource_group', { name: names.resourceGroup, location: config.location, tags: TAGS });
    const common = { resourceGroupName: rg.name, location: rg.location, tags: TAGS };

    const logs = new LogAnalyticsWorkspace(this, 'logs', { ...common, name: names.logAnalytics, sku: 'PerGB2018', retentionInDays: 30 });
    const insights = new ApplicationInsights(this, 'insights', { ...common, name: names.applicationInsights, applicationType: 'web', workspaceId: logs.id });

    // Purge protection off so `cdktf destroy` can purge the vault (and free its
    // global name) at once; the trade-off is that a deleted vault cannot be
    // recovered. Access policies are left to Azure ML, which adds the
    // workspace identity's own; declaring any here would remove it.
    const vault = new KeyVault(this, 'key_vault', {
      ...common,
      name: names.keyVault,
      tenantId: client.tenantId,
      skuName: 'standard',
      purgeProtectionEnabled: false,
      softDeleteRetentionDays: 7,
    });

    // Azure ML's default datastores authenticate with the account key, so
    // shared-key access stays on; nothing is public and TLS 1.2 is the floor.
    const storage = new StorageAccount(this, 'storage', {
      ...common,
      name: names.storageAccount,
      accountTier: 'Standard',
      accountReplicationType: 'LRS',
      accountKind: 'StorageV2',
      minTlsVersion: 'TLS1_2',
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      crossTenantReplicationEnabled: false,
      sharedAccessKeyEnabled: true,
    });

    // No admin user: the endpoint identity pulls with AcrPull, builds push with the deployer's own login.
    const registry = new ContainerRegistry(this, 'registry', { ...common, name: names.containerRegistry, sku: 'Basic', adminEnabled: false });

    const workspace = new MachineLearningWorkspace(this, 'workspace', {
      ...common,
      name: names.workspace,
      description: 'rookery: models served from the same image as SageMaker and local runs',
      applicationInsightsId: insights.id,
      keyVaultId: vault.id,
      storageAccountId: storage.id,
      containerRegistryId: registry.id,
      identity: { type: 'SystemAssigned' },
      publicNetworkAccessEnabled: true,
    });

    // The endpoint runs as a user-assigned identity whose roles Terraform owns
    // (Azure ML's automatic grants apply to system-assigned identities only).
    const endpointIdentity = new UserAssignedIdentity(this, 'endpoint_identity', { ...common, name: names.endpointIdentity });
    const pull = new RoleAssignment(this, 'endpoint_acr_pull', {
      scope: registry.id,
      roleDefinitionName: ROLES.acrPull,
      principalId: endpointIdentity.principalId,
      principalType: 'ServicePrincipal',
    });
    // Reads the model; writes payload logs (the data collector uses the endpoint identity).
    const blobs = new RoleAssignment(this, 'endpoint_blob_contributor', {
      scope: storage.id,
      roleDefinitionName: ROLES.blobContributor,
      principalId: endpointIdentity.principalId,
      principalType: 'ServicePrincipal',
    });

    const container = new StorageContainer(this, 'model_container', { name: MODEL_CONTAINER, storageAccountId: storage.id, containerAccessType: 'private' });
    new RoleAssignment(this, 'workspace_model_reader', {
      scope: container.resourceManagerId,
      roleDefinitionName: ROLES.blobReader,
      principalId: workspace.identity.principalId,
      principalType: 'ServicePrincipal',
    });
    // `rookery deploy azure --model` uploads new versions with the deployer's own Entra token.
    new RoleAssignment(this, 'deployer_model_writer', {
      scope: container.resourceManagerId,
      roleDefinitionName: ROLES.blobContributor,
      principalId: client.objectId,
    });
    const datastore = new MachineLearningDatastoreBlobstorage(this, 'model_datastore', {
      name: MODEL_DATASTORE,
      workspaceId: workspace.id,
      storageContainerId: container.resourceManagerId,
      // Identity-based: no key or SAS stored in the workspace.
      serviceDataAuthIdentity: 'WorkspaceSystemAssignedIdentity',
    });

    // The serving image, built into the workspace registry whenever its content hash changes.
    const imageRef = `${registry.loginServer}/${IMAGE_REPOSITORY}:${this.image.tag}`;
    const build = new DataResource(this, 'image_build', {
      triggersReplace: { image: imageRef },
      input: { image: imageRef, files: this.image.files.length },
      provisioners: [
        {
          type: 'local-exec',
          command: buildCommand(config, registry.name, client.subscriptionId, this.image.tag, imageRef),
          workingDir: relative(stackDir, config.repoRoot) || '.',
        },
      ],
      // Building takes minutes, which also lets the endpoint identity's role
      // assignments propagate before anything pulls with them.
      dependsOn: [pull, blobs],
    });

    const environment = new EnvironmentVersion(this, 'environment', {
      workspaceId: workspace.id,
      name: ENVIRONMENT_NAME,
      version: this.image.tag,
      image: imageRef,
      port: SERVING.port,
      livenessPath: SERVING.livenessPath,
      readinessPath: SERVING.readinessPath,
      scoringPath: SERVING.scoringPath,
      description: `rookery serving image ${this.image.tag}`,
      dependsOn: [build],
    });

    // The model's files, copied into the synth output so the plain-Terraform path has them too.
    const model = config.model;
    const asset = new TerraformAsset(this, 'model_files', { path: model.dir, type: AssetType.DIRECTORY });
    const blobPrefix = modelBlobPrefix(model.name, model.version, model.sha256);
    const uploads = model.files.map(
      (file) =>
        new StorageBlob(this, `model_blob_${file.replace(/[^A-Za-z0-9]/g, '_')}`, {
          name: `${blobPrefix}/${file}`,
          storageAccountName: storage.name,
          storageContainerName: container.name,
          type: 'Block',
          source: `${asset.path}/${file}`,
          contentMd5: createHash('md5').update(readFileSync(join(model.dir, file))).digest('hex'),
        }),
    );
    const modelVersion = new ModelVersion(this, 'model', {
      workspaceId: workspace.id,
      name: model.name,
      version: model.version,
      modelUri: datastoreUri(client.subscriptionId, rg.name, workspace.name, blobPrefix),
      sha256: model.sha256,
      description: model.origin,
      dependsOn: [datastore, ...uploads],
    });

    const endpoint = new OnlineEndpoint(this, 'endpoint', {
      workspaceId: workspace.id,
      name: endpointName,
      location: rg.location,
      identityId: endpointIdentity.id,
      authMode: 'Key',
      description: `rookery ${model.name} classifier`,
      tags: TAGS,
      dependsOn: [pull, blobs],
    });

    const deployment = new OnlineDeployment(this, 'deployment', {
      endpoint,
      name: config.deploymentName,
      instanceType: config.instanceType,
      instanceCount: config.instanceCount,
      modelId: modelVersion.id,
      environmentId: environment.id,
      livenessProbe: LIVENESS_PROBE,
      readinessProbe: READINESS_PROBE,
      requestSettings: { ...REQUEST_SETTINGS },
      // Payload logging: Azure ML's data collector stores request and response
      // bodies in the workspace blob store. Documented for any deployment, but
      // whether it captures traffic to a custom container (BYOC) is UNCONFIRMED
      // (shared/docs/contracts.md §3); the CLI's own traffic log does not depend on it.
      payloadLogging: { samplingRate: 1 },
      description: `${model.name}:${model.version} on image ${this.image.tag}`,
      tags: TAGS,
    });

    new EndpointTraffic(this, 'traffic', { endpoint, traffic: [{ deployment, percent: 100 }] });

    new TerraformOutput(this, 'resource_group_name', { value: rg.name });
    new TerraformOutput(this, 'workspace_name', { value: workspace.name });
    new TerraformOutput(this, 'endpoint_name', { value: endpointName });
    new TerraformOutput(this, 'deployment_name', { value: config.deploymentName });
    new TerraformOutput(this, 'scoring_uri', { value: endpoint.scoringUri });
    new TerraformOutput(this, 'image', { value: imageRef });
    new TerraformOutput(this, 'model_version', { value: `${model.name}:${model.version}` });
    new TerraformOutput(this, 'try_it', { value: `rookery invoke --target azure --endpoint ${endpointName}` });
  }
}

/** The shell command that builds the image and pushes it to the workspace registry. */
export function buildCommand(config: AzureAppConfig, registryName: string, subscriptionId: string, tag: string, imageRef: string): string {
  if (config.imageBuild === 'docker') {
    return [
      `az acr login --name ${registryName} --subscription ${subscriptionId}`,
      `docker build --platform linux/amd64 --file ${config.dockerfile} --tag ${imageRef} .`,
      `docker push ${imageRef}`,
    ].join(' && ');
  }
  return `az acr build --registry ${registryName} --subscription ${subscriptionId} --image ${IMAGE_REPOSITORY}:${tag} --file ${config.dockerfile} --platform linux/amd64 .`;
}
