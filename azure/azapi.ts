/**
 * Hand-written bindings for the azapi Terraform provider (no prebuilt cdktf
 * bindings exist) and typed constructs for the Azure ML resources azurerm has
 * no resource for: online endpoints and deployments, environment and model
 * versions. Bodies are typed after the ARM schema (see aml-api.ts for the
 * version and spec path); azapi sends them as-is.
 */
import { Construct } from 'constructs';
import { Token, TerraformProvider, TerraformResource, type TerraformMetaArguments } from 'cdktf';
import { AML_API_VERSION, RESOURCE_TYPES } from './aml-api.ts';
import type { ProbeSettings } from './serving.ts';

/**
 * azapi 2.x: `body` is a dynamic HCL value (not a JSON string) and
 * `azapi_resource_action` accepts method PUT. The newest API version is
 * usually newer than the provider's embedded schemas, so resources here turn
 * schema validation off and the tests check bodies against the ARM spec.
 */
export const AZAPI_VERSION_CONSTRAINT = '~> 2.10';

export class AzapiProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: 'azapi',
      terraformProviderSource: 'Azure/azapi',
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_VERSION_CONSTRAINT },
    });
  }
}

type HclAttr = { value: unknown; isBlock: boolean; type: 'simple' | 'list' | 'map'; storageClassType: string };
const hclString = (value: string | undefined): HclAttr => ({ value, isBlock: false, type: 'simple', storageClassType: 'string' });
const hclBool = (value: boolean | undefined): HclAttr => ({ value, isBlock: false, type: 'simple', storageClassType: 'boolean' });

/** Drops undefined entries so they render neither in JSON nor in HCL. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface AzapiIdentity {
  type: 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned, UserAssigned' | 'None';
  identityIds?: string[];
}

export interface AzapiTimeouts {
  create?: string;
  update?: string;
  delete?: string;
  read?: string;
}

export interface AzapiResourceConfig<B extends object> extends TerraformMetaArguments {
  /** ARM resource type without the version, e.g. Microsoft.MachineLearningServices/workspaces/onlineEndpoints. */
  resourceType: string;
  /** Defaults to AML_API_VERSION. */
  apiVersion?: string;
  name: string;
  parentId: string;
  location?: string;
  identity?: AzapiIdentity;
  body: B;
  tags?: Record<string, string>;
  /** Read-only response paths made available as `output.<path>`. */
  responseExportValues?: string[];
  /** Replaces the resource when this value changes (azapi `replace_triggers_external_values`). */
  replaceTriggers?: unknown;
  timeouts?: AzapiTimeouts;
}

/** `azapi_resource`: PUT on create and update, DELETE on destroy, long-running operations polled by the provider. */
export class AzapiResource<B extends object> extends TerraformResource {
  static readonly tfResourceType = 'azapi_resource';
  readonly resourceType: string;
  readonly apiVersion: string;
  readonly resourceName: string;
  readonly parentId: string;
  readonly location?: string;
  readonly identity?: AzapiIdentity;
  readonly body: B;
  readonly tags?: Record<string, string>;
  readonly responseExportValues?: string[];
  readonly replaceTriggers?: unknown;
  readonly timeouts?: AzapiTimeouts;

  constructor(scope: Construct, id: string, config: AzapiResourceConfig<B>) {
    super(scope, id, {
      terraformResourceType: AzapiResource.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_VERSION_CONSTRAINT },
      dependsOn: config.dependsOn,
      count: config.count,
      provider: config.provider,
      lifecycle: config.lifecycle,
      forEach: config.forEach,
      provisioners: config.provisioners,
      connection: config.connection,
    });
    this.resourceType = config.resourceType;
    this.apiVersion = config.apiVersion ?? AML_API_VERSION;
    this.resourceName = config.name;
    this.parentId = config.parentId;
    this.location = config.location;
    this.identity = config.identity;
    this.body = config.body;
    this.tags = config.tags;
    this.responseExportValues = config.responseExportValues;
    this.replaceTriggers = config.replaceTriggers;
    this.timeouts = config.timeouts;
  }

  /** The resource's ARM ID, known after apply. */
  get id(): string {
    return this.getStringAttribute('id');
  }

  /** A value exported through `responseExportValues`, e.g. `output('properties.scoringUri')`. */
  output(path: string): string {
    return Token.asString(this.interpolationForAttribute(`output.${path}`));
  }

  private get typeWithVersion(): string {
    return `${this.resourceType}@${this.apiVersion}`;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return defined({
      type: this.typeWithVersion,
      name: this.resourceName,
      parent_id: this.parentId,
      location: this.location,
      identity: this.identity && [defined({ type: this.identity.type, identity_ids: this.identity.identityIds })],
      body: this.body,
      tags: this.tags,
      schema_validation_enabled: false,
      response_export_values: this.responseExportValues,
      replace_triggers_external_values: this.replaceTriggers,
      timeouts: this.timeouts,
    });
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return defined({
      type: hclString(this.typeWithVersion),
      name: hclString(this.resourceName),
      parent_id: hclString(this.parentId),
      location: this.location === undefined ? undefined : hclString(this.location),
      identity: this.identity && {
        value: [defined({ type: this.identity.type, identity_ids: this.identity.identityIds })],
        isBlock: true,
        type: 'list',
        storageClassType: 'AzapiIdentityList',
      },
      body: this.body,
      tags: this.tags && { value: this.tags, isBlock: false, type: 'map', storageClassType: 'stringMap' },
      schema_validation_enabled: hclBool(false),
      response_export_values: this.responseExportValues,
      replace_triggers_external_values: this.replaceTriggers,
      timeouts: this.timeouts && { value: this.timeouts, isBlock: true, type: 'simple', storageClassType: 'AzapiTimeouts' },
    });
  }
}

export interface AzapiResourceActionConfig<B extends object> extends TerraformMetaArguments {
  resourceType: string;
  apiVersion?: string;
  resourceId: string;
  method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Empty for a request on the resource itself (e.g. a PUT that replaces it). */
  action?: string;
  body: B;
  /** Extra request headers; a changed value re-sends the request on the next apply. */
  headers?: Record<string, string>;
  /** `destroy`: send the request when the resource is destroyed instead of when it is created. */
  when?: 'apply' | 'destroy';
  timeouts?: AzapiTimeouts;
}

/** `azapi_resource_action`: one request against an existing resource when created or replaced. */
export class AzapiResourceAction<B extends object> extends TerraformResource {
  static readonly tfResourceType = 'azapi_resource_action';
  readonly resourceType: string;
  readonly apiVersion: string;
  readonly resourceId: string;
  readonly method: string;
  readonly action?: string;
  readonly body: B;
  readonly headers?: Record<string, string>;
  readonly when?: 'apply' | 'destroy';
  readonly timeouts?: AzapiTimeouts;

  constructor(scope: Construct, id: string, config: AzapiResourceActionConfig<B>) {
    super(scope, id, {
      terraformResourceType: AzapiResourceAction.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_VERSION_CONSTRAINT },
      dependsOn: config.dependsOn,
      provider: config.provider,
      lifecycle: config.lifecycle,
    });
    this.resourceType = config.resourceType;
    this.apiVersion = config.apiVersion ?? AML_API_VERSION;
    this.resourceId = config.resourceId;
    this.method = config.method;
    this.action = config.action;
    this.body = config.body;
    this.headers = config.headers;
    this.when = config.when;
    this.timeouts = config.timeouts;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return defined({
      type: `${this.resourceType}@${this.apiVersion}`,
      resource_id: this.resourceId,
      method: this.method,
      action: this.action,
      body: this.body,
      headers: this.headers,
      when: this.when,
      timeouts: this.timeouts,
    });
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return defined({
      type: hclString(`${this.resourceType}@${this.apiVersion}`),
      resource_id: hclString(this.resourceId),
      method: hclString(this.method),
      action: this.action === undefined ? undefined : hclString(this.action),
      body: this.body,
      headers: this.headers && { value: this.headers, isBlock: false, type: 'map', storageClassType: 'stringMap' },
      when: this.when === undefined ? undefined : hclString(this.when),
      timeouts: this.timeouts && { value: this.timeouts, isBlock: true, type: 'simple', storageClassType: 'AzapiTimeouts' },
    });
  }
}

// ---------------------------------------------------------------------------
// ARM bodies (Microsoft.MachineLearningServices, AML_API_VERSION)
// ---------------------------------------------------------------------------

/** ARM `Route`: both fields required. */
export interface Route {
  path: string;
  port: number;
}

export interface OnlineEndpointBody {
  properties: {
    authMode: 'Key' | 'AMLToken' | 'AADToken';
    description?: string;
    publicNetworkAccess?: 'Enabled' | 'Disabled';
    traffic?: Record<string, number>;
  };
}

/** `DataCollector.collections` entry; `request` and `response` are reserved for payload logging. */
export interface Collection {
  dataCollectionMode: 'Enabled' | 'Disabled';
  samplingRate?: number;
}

export interface ManagedOnlineDeploymentBody {
  sku: { name: string; capacity: number };
  properties: {
    endpointComputeType: 'Managed';
    description?: string;
    instanceType: string;
    model: string;
    environmentId: string;
    environmentVariables?: Record<string, string>;
    appInsightsEnabled: boolean;
    egressPublicNetworkAccess?: 'Enabled' | 'Disabled';
    scaleSettings: { scaleType: 'Default' };
    requestSettings: { requestTimeout: string; maxConcurrentRequestsPerInstance: number };
    livenessProbe: ProbeSettings;
    readinessProbe: ProbeSettings;
    dataCollector?: {
      collections: Record<string, Collection>;
      rollingRate?: 'Year' | 'Month' | 'Day' | 'Hour' | 'Minute';
    };
  };
}

export interface EnvironmentVersionBody {
  properties: {
    description?: string;
    image: string;
    osType: 'Linux';
    inferenceConfig: { livenessRoute: Route; readinessRoute: Route; scoringRoute: Route };
    tags?: Record<string, string>;
  };
}

export interface ModelVersionBody {
  properties: {
    description?: string;
    modelUri: string;
    /** `custom_model`: Azure ML mounts the files and leaves serving to the image. */
    modelType: 'custom_model' | 'mlflow_model' | 'triton_model';
    tags?: Record<string, string>;
    properties?: Record<string, string>;
  };
}

// ---------------------------------------------------------------------------
// Typed constructs
// ---------------------------------------------------------------------------

export interface OnlineEndpointProps {
  workspaceId: string;
  name: string;
  location: string;
  /** User-assigned identity the deployments run as (pulls the image, reads the model, writes collected data). */
  identityId: string;
  authMode?: OnlineEndpointBody['properties']['authMode'];
  description?: string;
  tags?: Record<string, string>;
  dependsOn?: TerraformMetaArguments['dependsOn'];
}

/** A managed online endpoint (no traffic yet: `EndpointTraffic` sets it once a deployment exists). */
export class OnlineEndpoint extends Construct {
  readonly resource: AzapiResource<OnlineEndpointBody>;
  readonly name: string;
  readonly location: string;
  readonly body: OnlineEndpointBody;
  readonly identity: AzapiIdentity;

  constructor(scope: Construct, id: string, props: OnlineEndpointProps) {
    super(scope, id);
    this.name = props.name;
    this.location = props.location;
    this.identity = { type: 'UserAssigned', identityIds: [props.identityId] };
    this.body = {
      properties: {
        authMode: props.authMode ?? 'Key',
        publicNetworkAccess: 'Enabled',
        ...(props.description ? { description: props.description } : {}),
      },
    };
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.onlineEndpoint,
      name: props.name,
      parentId: props.workspaceId,
      location: props.location,
      identity: this.identity,
      body: this.body,
      tags: props.tags,
      responseExportValues: ['properties.scoringUri', 'properties.swaggerUri'],
      dependsOn: props.dependsOn,
      timeouts: { create: '30m', update: '30m', delete: '30m' },
    });
  }

  get id(): string {
    return this.resource.id;
  }

  get scoringUri(): string {
    return this.resource.output('properties.scoringUri');
  }
}

export interface OnlineDeploymentProps {
  endpoint: OnlineEndpoint;
  name: string;
  instanceType: string;
  instanceCount: number;
  modelId: string;
  environmentId: string;
  livenessProbe: ProbeSettings;
  readinessProbe: ProbeSettings;
  requestSettings: ManagedOnlineDeploymentBody['properties']['requestSettings'];
  /** Payload logging through Azure ML's data collector (`request`/`response` collections). */
  payloadLogging?: { samplingRate: number };
  environmentVariables?: Record<string, string>;
  description?: string;
  tags?: Record<string, string>;
  dependsOn?: TerraformMetaArguments['dependsOn'];
}

export class OnlineDeployment extends Construct {
  readonly resource: AzapiResource<ManagedOnlineDeploymentBody>;
  readonly name: string;
  readonly body: ManagedOnlineDeploymentBody;

  constructor(scope: Construct, id: string, props: OnlineDeploymentProps) {
    super(scope, id);
    this.name = props.name;
    const logging = props.payloadLogging;
    this.body = {
      sku: { name: 'Default', capacity: props.instanceCount },
      properties: {
        endpointComputeType: 'Managed',
        ...(props.description ? { description: props.description } : {}),
        instanceType: props.instanceType,
        model: props.modelId,
        environmentId: props.environmentId,
        ...(props.environmentVariables ? { environmentVariables: props.environmentVariables } : {}),
        appInsightsEnabled: true,
        egressPublicNetworkAccess: 'Enabled',
        scaleSettings: { scaleType: 'Default' },
        requestSettings: props.requestSettings,
        livenessProbe: props.livenessProbe,
        readinessProbe: props.readinessProbe,
        ...(logging
          ? {
              dataCollector: {
                collections: {
                  request: { dataCollectionMode: 'Enabled', samplingRate: logging.samplingRate },
                  response: { dataCollectionMode: 'Enabled', samplingRate: logging.samplingRate },
                },
                rollingRate: 'Hour',
              },
            }
          : {}),
      },
    };
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.onlineDeployment,
      name: props.name,
      parentId: props.endpoint.id,
      location: props.endpoint.location,
      body: this.body,
      tags: props.tags,
      responseExportValues: ['systemData.createdAt'],
      dependsOn: props.dependsOn,
      // A renamed deployment is created and given the traffic before the old one
      // (which Azure will not delete while it takes traffic) is removed.
      lifecycle: { createBeforeDestroy: true },
      // Provisioning VMs, pulling the image and waiting for readiness takes 10–20 minutes.
      timeouts: { create: '60m', update: '60m', delete: '30m' },
    });
  }

  get id(): string {
    return this.resource.id;
  }

  /** When Azure created this deployment; changes only when it is re-created. */
  get createdAt(): string {
    return this.resource.output('systemData.createdAt');
  }
}

export interface EndpointTrafficProps {
  endpoint: OnlineEndpoint;
  /** Deployments and their share of traffic (summing to 100). */
  traffic: { deployment: OnlineDeployment; percent: number }[];
}

/**
 * Points the endpoint's traffic at deployments once they exist. A PUT of the
 * whole endpoint rather than azapi_update_resource, which merges maps: a
 * deployment added outside Terraform (`rookery deploy azure`) would keep its
 * share and the weights would no longer sum to 100. The request carries each
 * deployment's creation time in a header, so a deployment Terraform has to
 * re-create (say, after the CLI replaced it) gets its traffic back on the same
 * apply; lifecycle.replace_triggered_by would do the same but does not survive
 * `cdktf synth --hcl` (it renders the references as quoted strings).
 */
export class EndpointTraffic extends Construct {
  readonly action: AzapiResourceAction<OnlineEndpointBody & { location: string; identity: object }>;
  /** Runs on destroy, before the deployments go: Azure refuses to delete a deployment that still takes traffic. */
  readonly release: AzapiResourceAction<OnlineEndpointBody & { location: string; identity: object }>;
  readonly traffic: Record<string, number>;

  constructor(scope: Construct, id: string, props: EndpointTrafficProps) {
    super(scope, id);
    const total = props.traffic.reduce((sum, t) => sum + t.percent, 0);
    if (total !== 100) throw new Error(`endpoint traffic must sum to 100, not ${total}`);
    this.traffic = Object.fromEntries(props.traffic.map((t) => [t.deployment.name, t.percent]));
    const e = props.endpoint;
    const endpointBody = (traffic: Record<string, number>) => ({
      location: e.location,
      identity: {
        type: e.identity.type,
        userAssignedIdentities: Object.fromEntries((e.identity.identityIds ?? []).map((i) => [i, {}])),
      },
      properties: { ...e.body.properties, traffic },
    });
    const deployments = props.traffic.map((t) => t.deployment.resource);
    this.action = new AzapiResourceAction(this, 'put', {
      resourceType: RESOURCE_TYPES.onlineEndpoint,
      resourceId: e.id,
      method: 'PUT',
      body: endpointBody(this.traffic),
      headers: { [TRAFFIC_REVISION_HEADER]: props.traffic.map((t) => t.deployment.createdAt).join(',') },
      dependsOn: deployments,
      timeouts: { create: '30m', update: '30m' },
    });
    this.release = new AzapiResourceAction(this, 'release', {
      resourceType: RESOURCE_TYPES.onlineEndpoint,
      resourceId: e.id,
      method: 'PUT',
      body: endpointBody({}),
      when: 'destroy',
      dependsOn: deployments,
      timeouts: { delete: '30m' },
    });
  }
}

/** Informational request header; Azure Resource Manager ignores headers it does not know. */
export const TRAFFIC_REVISION_HEADER = 'x-rookery-deployments-created';

export interface EnvironmentVersionProps {
  workspaceId: string;
  name: string;
  version: string;
  image: string;
  port: number;
  livenessPath: string;
  readinessPath: string;
  scoringPath: string;
  description?: string;
  dependsOn?: TerraformMetaArguments['dependsOn'];
}

/** A custom-container environment: the image plus the routes Azure ML probes and scores on. */
export class EnvironmentVersion extends Construct {
  readonly resource: AzapiResource<EnvironmentVersionBody>;
  readonly body: EnvironmentVersionBody;

  constructor(scope: Construct, id: string, props: EnvironmentVersionProps) {
    super(scope, id);
    const route = (path: string): Route => ({ path, port: props.port });
    this.body = {
      properties: {
        ...(props.description ? { description: props.description } : {}),
        image: props.image,
        osType: 'Linux',
        inferenceConfig: {
          livenessRoute: route(props.livenessPath),
          readinessRoute: route(props.readinessPath),
          scoringRoute: route(props.scoringPath),
        },
      },
    };
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.environmentVersion,
      name: props.version,
      parentId: `${props.workspaceId}/environments/${props.name}`,
      body: this.body,
      dependsOn: props.dependsOn,
      // Versions are immutable: a new image is a new version, created before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });
  }

  get id(): string {
    return this.resource.id;
  }
}

export interface ModelVersionProps {
  workspaceId: string;
  name: string;
  version: string;
  modelUri: string;
  /** Content hash of the uploaded files, recorded as a tag so a registration can be traced to its artifact. */
  sha256: string;
  description?: string;
  dependsOn?: TerraformMetaArguments['dependsOn'];
}

export class ModelVersion extends Construct {
  readonly resource: AzapiResource<ModelVersionBody>;
  readonly body: ModelVersionBody;

  constructor(scope: Construct, id: string, props: ModelVersionProps) {
    super(scope, id);
    this.body = {
      properties: {
        ...(props.description ? { description: props.description } : {}),
        modelUri: props.modelUri,
        modelType: 'custom_model',
        tags: { 'rookery.sha256': props.sha256 },
      },
    };
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.modelVersion,
      name: props.version,
      parentId: `${props.workspaceId}/models/${props.name}`,
      body: this.body,
      dependsOn: props.dependsOn,
      // Registry versions are immutable; a new version number is a new resource, created before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });
  }

  get id(): string {
    return this.resource.id;
  }
}
