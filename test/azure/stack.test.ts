import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, SERVING_PORT } from '../../container/contract.ts';
import { AML_API_VERSION, RESOURCE_TYPES } from '../../cloud/azure-ml.ts';
import { STATE_FILE } from '../../azure/stack.ts';
import { azapi, makeRegistry, only, REPO_ROOT, synthAzure, type Synthesized } from './fixtures.ts';

/**
 * Required fields copied from the ARM spec, Azure/azure-rest-api-specs:
 * specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/
 *   stable/2026-05-01/openapi.json — OnlineEndpoint, OnlineDeployment (envelopes: `properties`),
 *   OnlineDeploymentProperties (`endpointComputeType`), OnlineScaleSettings (`scaleType`),
 *   ModelVersion and EnvironmentVersion (envelopes: `properties`);
 *   stable/2025-12-01/mfe.json — EndpointPropertiesBase (`authMode`), Route (`path`, `port`),
 *   and the same lists for the definitions above;
 * specification/common-types/resource-management/v3 — TrackedResource (`location`), Sku (`name`),
 *   ManagedServiceIdentity (`type`).
 * Allowed property names are the schema's `properties` (each definition has additionalProperties: false).
 */
const SPEC = {
  trackedEnvelope: ['location', 'properties'],
  proxyEnvelope: ['properties'],
  endpointProperties: { required: ['authMode'], allowed: ['authMode', 'description', 'keys', 'properties', 'compute', 'mirrorTraffic', 'publicNetworkAccess', 'traffic'] },
  deploymentProperties: {
    required: ['endpointComputeType'],
    allowed: [
      'appInsightsEnabled', 'dataCollector', 'egressPublicNetworkAccess', 'endpointComputeType', 'instanceType', 'livenessProbe',
      'model', 'modelMountPath', 'readinessProbe', 'requestSettings', 'scaleSettings', 'startupProbe',
      'codeConfiguration', 'description', 'environmentId', 'environmentVariables', 'properties',
    ],
  },
  sku: { required: ['name'] },
  identity: { required: ['type'] },
  scaleSettings: { required: ['scaleType'] },
  probe: { allowed: ['failureThreshold', 'initialDelay', 'period', 'successThreshold', 'timeout'] },
  requestSettings: { allowed: ['maxConcurrentRequestsPerInstance', 'maxQueueWait', 'requestTimeout'] },
  route: { required: ['path', 'port'] },
  environmentProperties: {
    allowed: ['autoRebuild', 'build', 'condaFile', 'image', 'inferenceConfig', 'osType', 'stage', 'description', 'properties', 'tags', 'isAnonymous', 'isArchived', 'autoDeleteSetting'],
  },
  inferenceConfig: { allowed: ['livenessRoute', 'readinessRoute', 'startupRoute', 'scoringRoute'] },
  modelProperties: {
    allowed: ['flavors', 'jobName', 'modelType', 'modelUri', 'stage', 'datasets', 'description', 'properties', 'tags', 'isAnonymous', 'isArchived', 'autoDeleteSetting'],
  },
} as const;

const ISO_DURATION = /^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$/;

function expectShape(value: Record<string, unknown>, spec: { required?: readonly string[]; allowed?: readonly string[] }, where: string) {
  for (const key of spec.required ?? []) expect(value, `${where} lacks required ${key}`).toHaveProperty([key]);
  if (spec.allowed) for (const key of Object.keys(value)) expect(spec.allowed, `${where}.${key} is not in the ARM schema`).toContain(key);
}

/** The traffic PUT run on apply, or the one run on destroy. */
function trafficAction(json: Synthesized['json'], when: 'apply' | 'destroy' = 'apply'): any {
  const all = Object.values(json.resource.azapi_resource_action ?? {}) as any[];
  const matches = all.filter((a) => (a.when ?? 'apply') === when);
  if (matches.length !== 1) throw new Error(`expected one ${when} action, found ${matches.length}`);
  return matches[0];
}

/** What azapi sends: the body merged with the top-level location and identity. */
function request(resource: any): Record<string, unknown> {
  return {
    ...resource.body,
    ...(resource.location ? { location: resource.location } : {}),
    ...(resource.identity ? { identity: { type: resource.identity[0].type } } : {}),
  };
}

describe('the synthesized azure stack', () => {
  let s: Synthesized;
  beforeAll(async () => {
    s = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(3, [1, 2, 3]) });
  });

  it('declares azurerm and the azapi provider, with purge-on-destroy features', () => {
    expect(s.json.terraform.required_providers.azapi).toEqual({ source: 'Azure/azapi', version: '~> 2.10' });
    expect(s.json.terraform.required_providers.azurerm.source).toBe('azurerm');
    const features = s.json.provider.azurerm[0].features[0];
    expect(features.key_vault[0].purge_soft_delete_on_destroy).toBe(true);
    expect(features.machine_learning[0].purge_soft_deleted_workspace_on_destroy).toBe(true);
    expect(features.log_analytics_workspace[0].permanently_delete_on_destroy).toBe(true);
    expect(features.resource_group[0].prevent_deletion_if_contains_resources).toBe(false);
    expect(s.json.provider.azapi).toHaveLength(1);
  });

  it('keeps Terraform state in the git-ignored .rookery folder', () => {
    // Relative to the stack's folder (Terraform's working directory), so the synthesized file is the same on every machine.
    const path = s.json.terraform.backend.local.path;
    expect(isAbsolute(path)).toBe(false);
    expect(resolve(s.outdir, 'stacks', 'azure', path)).toBe(join(REPO_ROOT, STATE_FILE));
  });

  it('names every resource from the validated prefix variable', () => {
    const prefix = s.json.variable.prefix;
    expect(prefix.default).toBe('rktest');
    expect(prefix.validation[0].condition).toBe('${can(regex("^[a-z][a-z0-9]{2,20}$", var.prefix))}');
    expect(only(s.json, 'azurerm_resource_group').name).toBe('${var.prefix}-rg');
    expect(only(s.json, 'azurerm_storage_account').name).toBe('${var.prefix}st');
    expect(only(s.json, 'azurerm_key_vault').name).toBe('${var.prefix}-kv');
    expect(only(s.json, 'azurerm_container_registry').name).toBe('${var.prefix}acr');
    expect(only(s.json, 'azurerm_log_analytics_workspace').name).toBe('${var.prefix}-logs');
    expect(only(s.json, 'azurerm_application_insights').name).toBe('${var.prefix}-appi');
    expect(only(s.json, 'azurerm_machine_learning_workspace').name).toBe('${var.prefix}-mlw');
    expect(azapi(s.json, RESOURCE_TYPES.onlineEndpoint).name).toBe('${var.prefix}-endpoint');
    expect(only(s.json, 'azurerm_resource_group').location).toBe('eastus');
  });

  it('locks down storage, key vault and registry', () => {
    expect(only(s.json, 'azurerm_storage_account')).toMatchObject({
      min_tls_version: 'TLS1_2',
      allow_nested_items_to_be_public: false,
      https_traffic_only_enabled: true,
    });
    for (const container of Object.values(s.json.resource.azurerm_storage_container)) expect(container.container_access_type).toBe('private');
    expect(only(s.json, 'azurerm_key_vault')).toMatchObject({ purge_protection_enabled: false, soft_delete_retention_days: 7 });
    expect(only(s.json, 'azurerm_key_vault').access_policy).toBeUndefined();
    expect(only(s.json, 'azurerm_container_registry').admin_enabled).toBe(false);
  });

  it('creates a workspace with a managed identity over the storage, vault, insights and registry', () => {
    const ws = only(s.json, 'azurerm_machine_learning_workspace');
    expect(ws.identity).toEqual({ type: 'SystemAssigned' });
    expect(ws.storage_account_id).toBe('${azurerm_storage_account.storage.id}');
    expect(ws.key_vault_id).toBe('${azurerm_key_vault.key_vault.id}');
    expect(ws.application_insights_id).toBe('${azurerm_application_insights.insights.id}');
    expect(ws.container_registry_id).toBe('${azurerm_container_registry.registry.id}');
    expect(only(s.json, 'azurerm_application_insights').workspace_id).toBe('${azurerm_log_analytics_workspace.logs.id}');
  });

  it('lets the endpoint identity pull images, read the model container and write the capture container, and nothing more', () => {
    const roles = Object.values(s.json.resource.azurerm_role_assignment);
    const endpointRoles = roles.filter((r: any) => r.principal_id === '${azurerm_user_assigned_identity.endpoint_identity.principal_id}');
    expect(endpointRoles.map((r: any) => [r.role_definition_name, r.scope]).sort()).toEqual([
      ['AcrPull', '${azurerm_container_registry.registry.id}'],
      ['Storage Blob Data Contributor', '${azurerm_storage_container.capture_container.resource_manager_id}'],
      ['Storage Blob Data Reader', '${azurerm_storage_container.model_container.resource_manager_id}'],
    ]);
  });

  it('assigns no storage role on the whole account: every blob role is scoped to one container', () => {
    const roles = Object.values(s.json.resource.azurerm_role_assignment) as any[];
    const blobRoles = roles.filter((r) => r.role_definition_name.startsWith('Storage Blob'));
    expect(blobRoles.length).toBeGreaterThanOrEqual(4);
    for (const r of blobRoles) {
      expect(r.scope, r.role_definition_name).not.toBe('${azurerm_storage_account.storage.id}');
      expect(r.scope).toMatch(/\/blobServices\/default\/containers\/|^\$\{azurerm_storage_container\.\w+\.resource_manager_id\}$/);
    }
  });

  it('builds the image into the workspace registry before any environment uses it', () => {
    const build = only(s.json, 'terraform_data');
    const tag = s.stack.image.tag;
    const exec = build.provisioner[0]['local-exec'];
    expect(exec.command).toBe(
      `az acr build --registry \${azurerm_container_registry.registry.name} --subscription \${data.azurerm_client_config.current.subscription_id} --image rookery-serve:${tag} --file container/Dockerfile --platform linux/amd64 .`,
    );
    expect(readdirSync(join(s.outdir, 'stacks', 'azure', exec.working_dir))).toContain('package.json');
    expect(build.triggers_replace.image).toBe(`\${azurerm_container_registry.registry.login_server}/rookery-serve:${tag}`);
    const env = azapi(s.json, RESOURCE_TYPES.environmentVersion);
    expect(env.name).toBe(tag);
    expect(env.depends_on).toContain('terraform_data.image_build');
    expect(env.body.properties.image).toBe(`\${azurerm_container_registry.registry.login_server}/rookery-serve:${tag}`);
  });

  it('routes Azure ML’s probes and scoring to the serving program’s port and routes', () => {
    const config = azapi(s.json, RESOURCE_TYPES.environmentVersion).body.properties.inferenceConfig;
    expect(config).toEqual({
      livenessRoute: { path: ROUTES.live, port: SERVING_PORT },
      readinessRoute: { path: ROUTES.ready, port: SERVING_PORT },
      scoringRoute: { path: ROUTES.score, port: SERVING_PORT },
    });
  });

  it('uploads every model file and registers the champion as a custom model', () => {
    const blobs = Object.values(s.json.resource.azurerm_storage_blob) as any[];
    const folder = `penguins/3-${s.config.model.sha256.slice(0, 12)}`;
    // The registry's version.json is bookkeeping, not model (model/content-hash.ts): it is not uploaded.
    expect(blobs.map((b) => b.name).sort()).toEqual([`${folder}/MLmodel`, `${folder}/model.json`]);
    for (const blob of blobs) {
      expect(blob.content_md5).toMatch(/^[0-9a-f]{32}$/);
      expect(readFileSync(join(s.outdir, 'stacks', 'azure', blob.source), 'utf8').length).toBeGreaterThan(0);
    }
    const model = azapi(s.json, RESOURCE_TYPES.modelVersion);
    expect(model.name).toBe('3');
    expect(model.body.properties.description).toBe('penguins@champion (version 3) from the local registry');
    expect(model.parent_id).toBe('${azurerm_machine_learning_workspace.workspace.id}/models/penguins');
    expect(model.body.properties.modelType).toBe('custom_model');
    expect(model.body.properties.modelUri).toBe(
      `azureml://subscriptions/\${data.azurerm_client_config.current.subscription_id}/resourcegroups/\${azurerm_resource_group.resource_group.name}/workspaces/\${azurerm_machine_learning_workspace.workspace.name}/datastores/rookery_models/paths/${folder}/`,
    );
    expect(model.depends_on).toEqual(expect.arrayContaining(blobs.map((_, i) => expect.stringMatching(/^azurerm_storage_blob\./))));
    const datastore = s.json.resource.azurerm_machine_learning_datastore_blobstorage.model_datastore;
    expect(datastore).toMatchObject({ name: 'rookery_models', service_data_auth_identity: 'WorkspaceSystemAssignedIdentity' });
    expect(datastore.account_key).toBeUndefined();
  });

  it('creates a key-auth endpoint run by the user-assigned identity', () => {
    const endpoint = azapi(s.json, RESOURCE_TYPES.onlineEndpoint);
    expect(endpoint.type).toBe(`${RESOURCE_TYPES.onlineEndpoint}@${AML_API_VERSION}`);
    expect(endpoint.body.properties.authMode).toBe('Key');
    expect(endpoint.identity).toEqual([{ type: 'UserAssigned', identity_ids: ['${azurerm_user_assigned_identity.endpoint_identity.id}'] }]);
    expect(endpoint.parent_id).toBe('${azurerm_machine_learning_workspace.workspace.id}');
    expect(endpoint.response_export_values).toContain('properties.scoringUri');
  });

  it('deploys the registered model in the built environment with configured size and probes, capturing through the program itself', () => {
    const deployment = azapi(s.json, RESOURCE_TYPES.onlineDeployment);
    const p = deployment.body.properties;
    expect(deployment.name).toBe('blue');
    expect(deployment.parent_id).toBe('${azapi_resource.endpoint_resource_90950699.id}');
    expect(deployment.body.sku).toEqual({ name: 'Default', capacity: 1 });
    expect(p.instanceType).toBe('Standard_DS3_v2');
    expect(p.endpointComputeType).toBe('Managed');
    expect(p.model).toBe(`\${${'azapi_resource.model_resource_AA67E481'}.id}`);
    expect(p.environmentId).toMatch(/^\$\{azapi_resource\.environment_resource_[0-9A-F]+\.id\}$/);
    expect(p.readinessProbe).toEqual({ initialDelay: 'PT1S', period: 'PT5S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 12 });
    expect(p.livenessProbe).toEqual({ initialDelay: 'PT5S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 3 });
    expect(p.requestSettings).toEqual({ requestTimeout: 'PT10S', maxConcurrentRequestsPerInstance: 4 });
    // The serving program's own blob capture replaces Azure ML's data collector (test/azure/capture-monitor.test.ts).
    expect(p.dataCollector).toBeUndefined();
    expect(Object.keys(p.environmentVariables).sort()).toEqual(['AZURE_CLIENT_ID', 'DATA_CAPTURE', 'DATA_COLLECTION_URI']);
    expect(p.appInsightsEnabled).toBe(true);
  });

  it('sends 100% of traffic to the deployment once it exists', () => {
    const action = trafficAction(s.json);
    expect(action.method).toBe('PUT');
    expect(action.resource_id).toBe('${azapi_resource.endpoint_resource_90950699.id}');
    expect(action.body.properties.traffic).toEqual({ blue: 100 });
    expect(action.depends_on).toEqual(['azapi_resource.deployment_resource_0CB19B4A']);
    expect(action.headers['x-rookery-deployments-created']).toBe('${azapi_resource.deployment_resource_0CB19B4A.output.systemData.createdAt}');
    const total = Object.values(action.body.properties.traffic as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBe(100);
  });

  it('takes the traffic away again on destroy, before the deployment is deleted', () => {
    const release = trafficAction(s.json, 'destroy');
    expect(release.method).toBe('PUT');
    expect(release.body.properties.traffic).toEqual({});
    expect(release.body.properties.authMode).toBe('Key');
    // Terraform destroys dependents first, so this runs while the deployment still exists.
    expect(release.depends_on).toEqual(['azapi_resource.deployment_resource_0CB19B4A']);
  });

  it('uses one current stable API version everywhere, with schema validation left to these tests', () => {
    const all = [...Object.values(s.json.resource.azapi_resource), ...Object.values(s.json.resource.azapi_resource_action)] as any[];
    expect(AML_API_VERSION).toBe('2026-05-01');
    for (const r of all) expect(r.type).toMatch(new RegExp(`@${AML_API_VERSION}$`));
    for (const r of Object.values(s.json.resource.azapi_resource) as any[]) expect(r.schema_validation_enabled).toBe(false);
  });

  describe('azapi bodies against the ARM schema', () => {
    it('online endpoint (and the traffic PUT that replaces it)', () => {
      const endpoint = request(azapi(s.json, RESOURCE_TYPES.onlineEndpoint));
      expectShape(endpoint, { required: SPEC.trackedEnvelope }, 'OnlineEndpoint');
      expectShape(endpoint.identity as any, SPEC.identity, 'OnlineEndpoint.identity');
      expectShape(endpoint.properties as any, SPEC.endpointProperties, 'OnlineEndpoint.properties');
      expect(['AMLToken', 'Key', 'AADToken']).toContain((endpoint.properties as any).authMode);
      for (const when of ['apply', 'destroy'] as const) {
        const put = trafficAction(s.json, when).body;
        expectShape(put, { required: SPEC.trackedEnvelope }, `traffic PUT on ${when}`);
        expectShape(put.identity, SPEC.identity, `traffic PUT on ${when}.identity`);
        expectShape(put.properties, SPEC.endpointProperties, `traffic PUT on ${when}.properties`);
      }
    });

    it('managed online deployment', () => {
      const deployment = request(azapi(s.json, RESOURCE_TYPES.onlineDeployment)) as any;
      expectShape(deployment, { required: SPEC.trackedEnvelope }, 'OnlineDeployment');
      expectShape(deployment.sku, SPEC.sku, 'OnlineDeployment.sku');
      const p = deployment.properties;
      expectShape(p, SPEC.deploymentProperties, 'OnlineDeployment.properties');
      expect(p.endpointComputeType).toBe('Managed');
      expectShape(p.scaleSettings, SPEC.scaleSettings, 'scaleSettings');
      expect(p.scaleSettings.scaleType).toBe('Default');
      expectShape(p.requestSettings, SPEC.requestSettings, 'requestSettings');
      expect(p.requestSettings.requestTimeout).toMatch(ISO_DURATION);
      for (const probe of [p.livenessProbe, p.readinessProbe]) {
        expectShape(probe, SPEC.probe, 'probe');
        for (const key of ['initialDelay', 'period', 'timeout']) expect(probe[key]).toMatch(ISO_DURATION);
      }
      for (const value of Object.values(p.environmentVariables)) expect(typeof value).toBe('string');
    });

    it('environment version with its inference routes', () => {
      const env = request(azapi(s.json, RESOURCE_TYPES.environmentVersion)) as any;
      expectShape(env, { required: SPEC.proxyEnvelope }, 'EnvironmentVersion');
      expectShape(env.properties, SPEC.environmentProperties, 'EnvironmentVersion.properties');
      expect(env.properties.osType).toBe('Linux');
      expectShape(env.properties.inferenceConfig, SPEC.inferenceConfig, 'inferenceConfig');
      for (const route of Object.values(env.properties.inferenceConfig) as any[]) expectShape(route, SPEC.route, 'Route');
    });

    it('model version', () => {
      const model = request(azapi(s.json, RESOURCE_TYPES.modelVersion)) as any;
      expectShape(model, { required: SPEC.proxyEnvelope }, 'ModelVersion');
      expectShape(model.properties, SPEC.modelProperties, 'ModelVersion.properties');
    });
  });

  it('puts no secret in the synthesized configuration', () => {
    const text = s.text;
    for (const pattern of [
      /"(account_key|primary_access_key|secondary_access_key|shared_access_signature|client_secret|password|admin_password|connection_string|instrumentation_key|sas_token)"\s*:/i,
      /AccountKey=|SharedAccessSignature=|sig=[A-Za-z0-9%]{20,}/,
      /[A-Za-z0-9+/]{86}==/, // a storage account key's shape
      /"(primaryKey|secondaryKey|accessToken)"\s*:/,
    ]) {
      expect(text).not.toMatch(pattern);
    }
    for (const output of Object.values(s.json.output)) expect(JSON.stringify(output.value)).not.toMatch(/key|secret|token/i);
  });

  it('tells the user how to call the endpoint', () => {
    expect(s.json.output.scoring_uri.value).toBe('${azapi_resource.endpoint_resource_90950699.output.properties.scoringUri}');
    expect(s.json.output.try_it.value).toBe('rookery invoke --target azure --endpoint ${var.prefix}-endpoint');
  });
});

describe('configuration flows into the stack', () => {
  it('sizes the deployment and names it from the environment', async () => {
    const s = await synthAzure({
      ROOKERY_AZURE_PREFIX: 'rkother',
      ROOKERY_REGISTRY: makeRegistry(5, [5]),
      ROOKERY_AZURE_INSTANCE_TYPE: 'Standard_F4s_v2',
      ROOKERY_AZURE_INSTANCE_COUNT: '3',
      ROOKERY_AZURE_ENDPOINT: 'penguins-prod',
      ROOKERY_AZURE_DEPLOYMENT: 'green',
      ROOKERY_AZURE_LOCATION: 'westeurope',
      ROOKERY_AZURE_IMAGE_BUILD: 'docker',
    });
    const deployment = azapi(s.json, RESOURCE_TYPES.onlineDeployment);
    expect(deployment.name).toBe('green');
    expect(deployment.body.sku.capacity).toBe(3);
    expect(deployment.body.properties.instanceType).toBe('Standard_F4s_v2');
    expect(azapi(s.json, RESOURCE_TYPES.onlineEndpoint).name).toBe('penguins-prod');
    expect(trafficAction(s.json).body.properties.traffic).toEqual({ green: 100 });
    expect(azapi(s.json, RESOURCE_TYPES.modelVersion).name).toBe('5');
    expect(only(s.json, 'azurerm_resource_group').location).toBe('westeurope');
    const command = only(s.json, 'terraform_data').provisioner[0]['local-exec'].command as string;
    expect(command).toMatch(/^az acr login --name \S+ --subscription \S+ && docker build --platform linux\/amd64 --file container\/Dockerfile --tag \S+ \. && docker push \S+$/);
  });
});

describe('cdktf synth --hcl', () => {
  it('renders plain Terraform for every resource, azapi bodies included', async () => {
    const { text } = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry() }, { hcl: true });
    expect(text).toContain('resource "azapi_resource" "deployment_resource_0CB19B4A"');
    expect(text).toContain('resource "azapi_resource_action" "traffic_put_BE827561"');
    expect(text).toMatch(/identity \{\s*type\s*=\s*"UserAssigned"/);
    expect(text).toMatch(/environmentVariables\s*=\s*\{/);
    expect(text).not.toContain('[object Object]');
    expect(text).not.toContain('attribute is of an unexpected type');
    expect(text).not.toContain('replace_triggered_by');
  });
});
