import { describe, expect, it } from 'vitest';
import { MlWorkspace } from '../../../azure/constructs/ml-workspace.ts';
import { resources, synthConstruct } from './synth.ts';

const names = {
  resourceGroup: 'g',
  logAnalytics: 'logs-name',
  applicationInsights: 'appi-name',
  keyVault: 'kv-name',
  storageAccount: 'stname',
  containerRegistry: 'acrname',
  workspace: 'mlw-name',
};

describe('MlWorkspace', () => {
  it('creates the workspace and each dependency under the names, region, tenant and tags it is given', () => {
    const json = synthConstruct((stack) => new MlWorkspace(stack, 'MlWorkspace', { names, location: 'westeurope', tenantId: 'tenant-1', tags: { app: 't' } }));
    expect(resources(json, 'azurerm_resource_group').resource_group).toMatchObject({ name: 'g', location: 'westeurope', tags: { app: 't' } });
    expect(resources(json, 'azurerm_key_vault').key_vault).toMatchObject({ name: 'kv-name', tenant_id: 'tenant-1', purge_protection_enabled: false });
    expect(resources(json, 'azurerm_storage_account').storage).toMatchObject({ name: 'stname', min_tls_version: 'TLS1_2', allow_nested_items_to_be_public: false });
    expect(resources(json, 'azurerm_container_registry').registry).toMatchObject({ name: 'acrname', admin_enabled: false });
    expect(resources(json, 'azurerm_log_analytics_workspace').logs.name).toBe('logs-name');
    expect(resources(json, 'azurerm_application_insights').insights.name).toBe('appi-name');
    const ws = resources(json, 'azurerm_machine_learning_workspace').workspace;
    expect(ws).toMatchObject({ name: 'mlw-name', identity: { type: 'SystemAssigned' }, location: '${azurerm_resource_group.resource_group.location}' });
    expect(ws.storage_account_id).toBe('${azurerm_storage_account.storage.id}');
  });

  it('leaves tags off when none are given', () => {
    const json = synthConstruct((stack) => new MlWorkspace(stack, 'MlWorkspace', { names, location: 'eastus', tenantId: 't' }));
    expect(resources(json, 'azurerm_resource_group').resource_group.tags).toBeUndefined();
  });
});
