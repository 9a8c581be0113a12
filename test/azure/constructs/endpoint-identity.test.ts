import { describe, expect, it } from 'vitest';
import { EndpointIdentity } from '../../../azure/constructs/endpoint-identity.ts';
import { blobContainerId, workspaceBlobStoreContainer } from '../../../azure/constructs/model-datastore.ts';
import { resources, synthConstruct } from './synth.ts';

describe('EndpointIdentity', () => {
  it('grants the identity AcrPull on the registry, blob read on the model container and blob write on the capture container, nothing more', () => {
    let grants = 0;
    const json = synthConstruct((stack) => {
      const identity = new EndpointIdentity(stack, 'EndpointIdentity', {
        name: 'ep-id',
        resourceGroupName: 'g',
        location: 'eastus',
        registryId: 'ACR',
        modelContainerId: 'ST/blobServices/default/containers/models',
        captureContainerId: 'ST/blobServices/default/containers/captures',
      });
      grants = identity.grants.length;
    });
    expect(resources(json, 'azurerm_user_assigned_identity').endpoint_identity).toMatchObject({ name: 'ep-id', resource_group_name: 'g', location: 'eastus' });
    const roles = Object.values(resources(json, 'azurerm_role_assignment')).map((r: any) => [r.role_definition_name, r.scope, r.principal_id, r.principal_type]).sort();
    const principal = '${azurerm_user_assigned_identity.endpoint_identity.principal_id}';
    expect(roles).toEqual([
      ['AcrPull', 'ACR', principal, 'ServicePrincipal'],
      ['Storage Blob Data Contributor', 'ST/blobServices/default/containers/captures', principal, 'ServicePrincipal'],
      ['Storage Blob Data Reader', 'ST/blobServices/default/containers/models', principal, 'ServicePrincipal'],
    ]);
    expect(grants).toBe(3);
  });
});

describe('blob container scopes', () => {
  it('names a container by its resource ID under the account, and the workspace blob store by the workspace GUID', () => {
    expect(blobContainerId('/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st', 'c')).toBe(
      '/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st/blobServices/default/containers/c',
    );
    expect(workspaceBlobStoreContainer('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe('azureml-blobstore-0f8fad5b-d9cb-469f-a165-70867728950e');
  });
});
