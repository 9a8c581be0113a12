import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../../cloud/azure-ml.ts';
import { ManagedOnlineEndpoint } from '../../../azure/constructs/managed-online-endpoint.ts';
import { LIVENESS_PROBE, READINESS_PROBE, REQUEST_SETTINGS } from '../../../azure/serving.ts';
import { resources, synthConstruct } from './synth.ts';

describe('ManagedOnlineEndpoint', () => {
  it('serves the model in the environment from one deployment that takes all traffic', () => {
    const json = synthConstruct(
      (stack) =>
        new ManagedOnlineEndpoint(stack, 'ManagedOnlineEndpoint', {
          workspaceId: 'WS',
          endpointName: 'ep',
          location: 'eastus',
          identityId: 'ID',
          deploymentName: 'green',
          instanceType: 'Standard_F4s_v2',
          instanceCount: 2,
          modelId: 'MODEL',
          environmentId: 'ENV',
          endpointDescription: 'what it serves',
          deploymentDescription: 'which model on which image',
        }),
    );
    const byType = (type: string) => Object.values(resources(json, 'azapi_resource')).find((r: any) => r.type.split('@')[0] === type) as any;
    const endpoint = byType(RESOURCE_TYPES.onlineEndpoint);
    expect(endpoint).toMatchObject({ name: 'ep', parent_id: 'WS', location: 'eastus', identity: [{ type: 'UserAssigned', identity_ids: ['ID'] }] });
    expect(endpoint.body.properties).toEqual({ authMode: 'Key', publicNetworkAccess: 'Enabled', description: 'what it serves' });
    const deployment = byType(RESOURCE_TYPES.onlineDeployment);
    expect(deployment.name).toBe('green');
    expect(deployment.body.sku).toEqual({ name: 'Default', capacity: 2 });
    expect(deployment.body.properties).toMatchObject({
      instanceType: 'Standard_F4s_v2',
      model: 'MODEL',
      environmentId: 'ENV',
      description: 'which model on which image',
      livenessProbe: LIVENESS_PROBE,
      readinessProbe: READINESS_PROBE,
      requestSettings: REQUEST_SETTINGS,
    });
    const actions = Object.values(resources(json, 'azapi_resource_action')) as any[];
    expect(actions.map((a) => [a.when ?? 'apply', a.body.properties.traffic])).toEqual([
      ['apply', { green: 100 }],
      ['destroy', {}],
    ]);
  });
});
