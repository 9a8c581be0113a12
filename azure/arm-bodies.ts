/**
 * Request bodies for the Azure ML resources azurerm has no resource for,
 * typed after the ARM schema of AML_API_VERSION (cloud/azure-ml.ts names the
 * spec file), and the pure functions that build them. azapi sends them as-is;
 * test/azure/stack.test.ts checks what they produce against the spec's
 * required and allowed properties.
 */
import { MODEL_HASH_TAG } from '../model/content-hash.ts';

/** ARM `Route`: both fields required. */
export interface Route {
  readonly path: string;
  readonly port: number;
}

/** ARM `ProbeSettings`, durations in ISO 8601 (`PT5S`). */
export interface ProbeSettings {
  readonly initialDelay: string;
  readonly period: string;
  readonly timeout: string;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export type EndpointAuthMode = 'Key' | 'AMLToken' | 'AADToken';

export interface OnlineEndpointBody {
  properties: {
    authMode: EndpointAuthMode;
    description?: string;
    publicNetworkAccess?: 'Enabled' | 'Disabled';
    traffic?: Record<string, number>;
  };
}

/** The whole endpoint as a PUT replaces it: the body plus the envelope azapi adds for `azapi_resource`. */
export interface OnlineEndpointPutBody extends OnlineEndpointBody {
  location: string;
  identity: { type: 'UserAssigned'; userAssignedIdentities: Record<string, object> };
}

export interface RequestSettings {
  readonly requestTimeout: string;
  readonly maxConcurrentRequestsPerInstance: number;
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
    requestSettings: RequestSettings;
    livenessProbe: ProbeSettings;
    readinessProbe: ProbeSettings;
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

/** A key- or token-auth endpoint reachable from the internet, with no traffic until a deployment exists. */
export function onlineEndpointBody(authMode: EndpointAuthMode, description?: string): OnlineEndpointBody {
  return { properties: { authMode, publicNetworkAccess: 'Enabled', ...(description ? { description } : {}) } };
}

/** The endpoint PUT that sets its traffic, keeping everything else as `body` declares it. */
export function endpointPutBody(endpoint: { location: string; identityIds: readonly string[]; body: OnlineEndpointBody }, traffic: Record<string, number>): OnlineEndpointPutBody {
  return {
    location: endpoint.location,
    identity: { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(endpoint.identityIds.map((i) => [i, {}])) },
    properties: { ...endpoint.body.properties, traffic },
  };
}

export interface DeploymentBodyInput {
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly modelId: string;
  readonly environmentId: string;
  readonly livenessProbe: ProbeSettings;
  readonly readinessProbe: ProbeSettings;
  readonly requestSettings: RequestSettings;
  /** @default none */
  readonly environmentVariables?: Record<string, string>;
  /** @default none */
  readonly description?: string;
}

/** A managed (Azure-run VMs) deployment with default scaling and App Insights on. */
export function managedDeploymentBody(input: DeploymentBodyInput): ManagedOnlineDeploymentBody {
  return {
    sku: { name: 'Default', capacity: input.instanceCount },
    properties: {
      endpointComputeType: 'Managed',
      ...(input.description ? { description: input.description } : {}),
      instanceType: input.instanceType,
      model: input.modelId,
      environmentId: input.environmentId,
      ...(input.environmentVariables ? { environmentVariables: input.environmentVariables } : {}),
      appInsightsEnabled: true,
      egressPublicNetworkAccess: 'Enabled',
      scaleSettings: { scaleType: 'Default' },
      requestSettings: { ...input.requestSettings },
      livenessProbe: input.livenessProbe,
      readinessProbe: input.readinessProbe,
    },
  };
}

export interface EnvironmentBodyInput {
  readonly image: string;
  readonly port: number;
  readonly livenessPath: string;
  readonly readinessPath: string;
  readonly scoringPath: string;
  /** @default none */
  readonly description?: string;
}

/** A custom-container environment: the image plus the routes Azure ML probes and scores on. */
export function environmentVersionBody(input: EnvironmentBodyInput): EnvironmentVersionBody {
  const route = (path: string): Route => ({ path, port: input.port });
  return {
    properties: {
      ...(input.description ? { description: input.description } : {}),
      image: input.image,
      osType: 'Linux',
      inferenceConfig: {
        livenessRoute: route(input.livenessPath),
        readinessRoute: route(input.readinessPath),
        scoringRoute: route(input.scoringPath),
      },
    },
  };
}

/** A custom model over uploaded files, tagged with their content hash (the same tag and value as on AWS). */
export function modelVersionBody(input: { readonly modelUri: string; readonly sha256: string; readonly description?: string }): ModelVersionBody {
  return {
    properties: {
      ...(input.description ? { description: input.description } : {}),
      modelUri: input.modelUri,
      modelType: 'custom_model',
      tags: { [MODEL_HASH_TAG]: input.sha256 },
    },
  };
}

/** ARM `UriFolderJobOutput`: a folder the job writes, mounted read-write and uploaded as it is written. */
export interface UriFolderJobOutput {
  jobOutputType: 'uri_folder';
  uri: string;
  mode: 'ReadWriteMount' | 'Upload';
}

/** ARM `CommandJob` (a `JobBaseProperties`): one command in an environment's image on a compute. */
export interface CommandJobBody {
  jobType: 'Command';
  displayName?: string;
  experimentName?: string;
  computeId: string;
  environmentId: string;
  command: string;
  environmentVariables?: Record<string, string>;
  /** ARM `ManagedIdentity`: the job signs in as the compute's user-assigned identity named by clientId. */
  identity: { identityType: 'Managed'; clientId: string };
  outputs?: Record<string, UriFolderJobOutput>;
}

/** ARM `Schedule`: a cron trigger (`CronTrigger`) that creates a job (`JobScheduleAction`). */
export interface ScheduleBody {
  properties: {
    displayName?: string;
    description?: string;
    isEnabled: boolean;
    trigger: { triggerType: 'Cron'; expression: string; timeZone: string };
    action: { actionType: 'CreateJob'; jobDefinition: CommandJobBody };
  };
}

/** A schedule running `job` on a five-field cron expression, evaluated in UTC. */
export function cronScheduleBody(input: { readonly cron: string; readonly job: CommandJobBody; readonly description?: string }): ScheduleBody {
  return {
    properties: {
      ...(input.description ? { description: input.description } : {}),
      isEnabled: true,
      trigger: { triggerType: 'Cron', expression: input.cron, timeZone: 'UTC' },
      action: { actionType: 'CreateJob', jobDefinition: input.job },
    },
  };
}
