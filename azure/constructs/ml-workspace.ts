/**
 * An Azure ML workspace and what it needs: a resource group, Log Analytics
 * and Application Insights, a key vault, a storage account and a container
 * registry, each named by the caller.
 */
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights/index.js';
import { ContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry/index.js';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault/index.js';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace/index.js';
import { MachineLearningWorkspace } from '@cdktf/provider-azurerm/lib/machine-learning-workspace/index.js';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group/index.js';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account/index.js';
import type { Construct } from 'constructs';
import type { AzureNames } from '../../cloud/azure-names.ts';
import { FlatConstruct } from './flat.ts';

export interface MlWorkspaceProps {
  /** Names of the group and of each resource (cloud/azure-names.ts derives them from the prefix). */
  readonly names: Pick<AzureNames, 'resourceGroup' | 'logAnalytics' | 'applicationInsights' | 'keyVault' | 'storageAccount' | 'containerRegistry' | 'workspace'>;
  /** Azure region, short form (`eastus`). */
  readonly location: string;
  /** The Entra tenant the key vault trusts. */
  readonly tenantId: string;
  /** @default none */
  readonly tags?: Record<string, string>;
}

export class MlWorkspace extends FlatConstruct {
  readonly resourceGroup: ResourceGroup;
  readonly storage: StorageAccount;
  readonly registry: ContainerRegistry;
  readonly workspace: MachineLearningWorkspace;
  /** Group, location and tags for any other resource in the same group. */
  readonly placement: { readonly resourceGroupName: string; readonly location: string; readonly tags?: Record<string, string> };

  constructor(scope: Construct, id: string, props: MlWorkspaceProps) {
    super(scope, id);
    const { names } = props;
    this.resourceGroup = new ResourceGroup(this, 'resource_group', { name: names.resourceGroup, location: props.location, tags: props.tags });
    const common = { resourceGroupName: this.resourceGroup.name, location: this.resourceGroup.location, tags: props.tags };
    this.placement = common;

    const logs = new LogAnalyticsWorkspace(this, 'logs', { ...common, name: names.logAnalytics, sku: 'PerGB2018', retentionInDays: 30 });
    const insights = new ApplicationInsights(this, 'insights', { ...common, name: names.applicationInsights, applicationType: 'web', workspaceId: logs.id });

    // Purge protection off so `cdktf destroy` can purge the vault (and free its
    // global name) at once; the trade-off is that a deleted vault cannot be
    // recovered. Access policies are left to Azure ML, which adds the
    // workspace identity's own; declaring any here would remove it.
    const vault = new KeyVault(this, 'key_vault', {
      ...common,
      name: names.keyVault,
      tenantId: props.tenantId,
      skuName: 'standard',
      purgeProtectionEnabled: false,
      softDeleteRetentionDays: 7,
    });

    // Azure ML's default datastores authenticate with the account key, so
    // shared-key access stays on; nothing is public and TLS 1.2 is the floor.
    this.storage = new StorageAccount(this, 'storage', {
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
    this.registry = new ContainerRegistry(this, 'registry', { ...common, name: names.containerRegistry, sku: 'Basic', adminEnabled: false });

    this.workspace = new MachineLearningWorkspace(this, 'workspace', {
      ...common,
      name: names.workspace,
      description: 'rookery: models served from the same image as SageMaker and local runs',
      applicationInsightsId: insights.id,
      keyVaultId: vault.id,
      storageAccountId: this.storage.id,
      containerRegistryId: this.registry.id,
      identity: { type: 'SystemAssigned' },
      publicNetworkAccessEnabled: true,
    });
  }
}
