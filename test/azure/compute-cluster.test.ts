import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_CONTAINER, BATCH_DATASTORE, COMPUTE_CLUSTER } from '../../cloud/azure-batch.ts';
import { ComputeCluster, isoDuration } from '../../azure/constructs/compute-cluster.ts';
import { resources, synthConstruct } from './constructs/synth.ts';
import { makeRegistry, only, synthAzure, type Synthesized } from './fixtures.ts';

/** Every role assignment as [role, scope, principal]. */
function roles(json: Synthesized['json']): string[][] {
  return Object.values(resources(json, 'azurerm_role_assignment')).map((r: any) => [r.role_definition_name, r.scope, r.principal_id]);
}

describe('the azure stack: the batch-scoring compute cluster', () => {
  let s: Synthesized;
  beforeAll(async () => {
    s = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(3, [3]) });
  });

  it('scales to zero nodes after two idle minutes, on a small CPU size, as the job identity', () => {
    const cluster = only(s.json, 'azurerm_machine_learning_compute_cluster');
    expect(cluster).toMatchObject({
      name: COMPUTE_CLUSTER,
      vm_size: 'Standard_DS3_v2',
      vm_priority: 'Dedicated',
      scale_settings: { min_node_count: 0, max_node_count: 2, scale_down_nodes_after_idle_duration: 'PT2M' },
      ssh_public_access_enabled: false,
      local_auth_enabled: false,
      machine_learning_workspace_id: '${azurerm_machine_learning_workspace.workspace.id}',
    });
    expect(cluster.identity).toEqual({ type: 'UserAssigned', identity_ids: ['${azurerm_user_assigned_identity.job_identity.id}'] });
    expect(resources(s.json, 'azurerm_user_assigned_identity').job_identity.name).toBe('${var.prefix}-job-id');
    expect(s.json.output.compute_cluster.value).toBe('${azurerm_machine_learning_compute_cluster.job_cluster.name}');
  });

  it('gives the job identity least privilege: pull the image, read the models, read and write the batch container only', () => {
    const job = '${azurerm_user_assigned_identity.job_identity.principal_id}';
    const grants = roles(s.json).filter(([, , principal]) => principal === job);
    expect(grants).toEqual([
      ['AcrPull', '${azurerm_container_registry.registry.id}', job],
      ['Storage Blob Data Reader', '${azurerm_storage_container.model_container.resource_manager_id}', job],
      ['Storage Blob Data Contributor', '${azurerm_storage_container.batch_container.resource_manager_id}', job],
    ]);
    // Nothing on the storage account, the resource group or the workspace.
    for (const [, scope] of grants) expect(scope).not.toMatch(/storage_account\.storage\.id|resource_group|workspace\.id\}$/);
  });

  it('keeps inputs and outputs in a private container behind an identity-based datastore (no key stored)', () => {
    expect(resources(s.json, 'azurerm_storage_container').batch_container).toMatchObject({ name: BATCH_CONTAINER, container_access_type: 'private' });
    const datastore = resources(s.json, 'azurerm_machine_learning_datastore_blobstorage').batch_datastore;
    expect(datastore).toMatchObject({ name: BATCH_DATASTORE, storage_container_id: '${azurerm_storage_container.batch_container.resource_manager_id}' });
    expect(datastore.account_key).toBeUndefined();
    expect(datastore.shared_access_signature).toBeUndefined();
  });
});

describe('ComputeCluster', () => {
  const base = { workspaceId: 'WS', name: 'c', identityName: 'id', resourceGroupName: 'g', location: 'eastus', registryId: 'ACR' };

  it('takes its sizes from props, with grants only where asked', () => {
    const json = synthConstruct((stack) => {
      new ComputeCluster(stack, 'C', { ...base, vmSize: 'Standard_F2s_v2', maxNodes: 4, idleSecondsBeforeScaleDown: 90 });
    });
    expect(resources(json, 'azurerm_machine_learning_compute_cluster').job_cluster.scale_settings).toEqual({
      min_node_count: 0,
      max_node_count: 4,
      scale_down_nodes_after_idle_duration: 'PT1M30S',
    });
    expect(resources(json, 'azurerm_machine_learning_compute_cluster').job_cluster.vm_size).toBe('Standard_F2s_v2');
    expect(roles(json).map(([role, scope]) => [role, scope])).toEqual([['AcrPull', 'ACR']]);
  });

  it('refuses node counts that cannot scale', () => {
    expect(() => synthConstruct((stack) => new ComputeCluster(stack, 'C', { ...base, maxNodes: 0 }))).toThrow(/maxNodes >= 1/);
    expect(() => synthConstruct((stack) => new ComputeCluster(stack, 'C', { ...base, minNodes: 3, maxNodes: 2 }))).toThrow(/minNodes <= maxNodes/);
  });

  it('writes idle times as Azure answers them, so Terraform sees no change on the next deploy', () => {
    expect([120, 90, 3600, 3725, 45].map(isoDuration)).toEqual(['PT2M', 'PT1M30S', 'PT1H', 'PT1H2M5S', 'PT45S']);
    expect(() => isoDuration(0)).toThrow(/whole number/);
  });
});
