import { describe, expect, it } from 'vitest';
import { EndpointIdentity } from '../../../azure/constructs/endpoint-identity.ts';
import { resources, synthConstruct } from './synth.ts';

describe('EndpointIdentity', () => {
  it('grants the identity AcrPull on the registry and blob read/write on the storage account, nothing more', () => {
    let grants = 0;
    const json = synthConstruct((stack) => {
      const identity = new EndpointIdentity(stack, 'EndpointIdentity', { name: 'ep-id', resourceGroupName: 'g', location: 'eastus', registryId: 'ACR', storageAccountId: 'ST' });
      grants = identity.grants.length;
    });
    expect(resources(json, 'azurerm_user_assigned_identity').endpoint_identity).toMatchObject({ name: 'ep-id', resource_group_name: 'g', location: 'eastus' });
    const roles = Object.values(resources(json, 'azurerm_role_assignment')).map((r: any) => [r.role_definition_name, r.scope, r.principal_id, r.principal_type]);
    expect(roles).toEqual([
      ['AcrPull', 'ACR', '${azurerm_user_assigned_identity.endpoint_identity.principal_id}', 'ServicePrincipal'],
      ['Storage Blob Data Contributor', 'ST', '${azurerm_user_assigned_identity.endpoint_identity.principal_id}', 'ServicePrincipal'],
    ]);
    expect(grants).toBe(2);
  });
});
