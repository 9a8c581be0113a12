import { describe, expect, it } from 'vitest';
import { MODEL_CONTAINER, MODEL_DATASTORE } from '../../../cloud/azure-ml.ts';
import { ModelDatastore } from '../../../azure/constructs/model-datastore.ts';
import { resources, synthConstruct } from './synth.ts';

describe('ModelDatastore', () => {
  it('makes a private container, lets the workspace read and the deployer write it, and puts a keyless datastore over it', () => {
    const json = synthConstruct((stack) => new ModelDatastore(stack, 'ModelDatastore', { storageAccountId: 'ST', workspaceId: 'WS', workspacePrincipalId: 'WS-PRINCIPAL', deployerObjectId: 'ME' }));
    expect(resources(json, 'azurerm_storage_container').model_container).toMatchObject({ name: MODEL_CONTAINER, storage_account_id: 'ST', container_access_type: 'private' });
    const container = '${azurerm_storage_container.model_container.resource_manager_id}';
    expect(resources(json, 'azurerm_role_assignment').workspace_model_reader).toMatchObject({ scope: container, role_definition_name: 'Storage Blob Data Reader', principal_id: 'WS-PRINCIPAL' });
    expect(resources(json, 'azurerm_role_assignment').deployer_model_writer).toMatchObject({ scope: container, role_definition_name: 'Storage Blob Data Contributor', principal_id: 'ME' });
    const datastore = resources(json, 'azurerm_machine_learning_datastore_blobstorage').model_datastore;
    expect(datastore).toMatchObject({ name: MODEL_DATASTORE, workspace_id: 'WS', storage_container_id: container, service_data_auth_identity: 'WorkspaceSystemAssignedIdentity' });
    expect(datastore.account_key).toBeUndefined();
  });
});
