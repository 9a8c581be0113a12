/**
 * The `azure` stack: an Azure ML workspace and its dependencies, the serving
 * image built into the workspace's registry, the model uploaded and
 * registered, and a managed online endpoint serving it with 100% of traffic.
 * It composes the constructs in constructs/ from plain values; azure/main.ts
 * reads the configuration, resolves the model and hashes the image.
 */
import { join, relative } from 'node:path';
import type { Construct } from 'constructs';
import { AzurermBackend, Fn, LocalBackend, TerraformOutput, TerraformVariable } from 'cdktf';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config/index.js';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider/index.js';
import { MONITOR_COMPUTE, MONITOR_SCHEDULE } from '../cloud/azure-ml.ts';
import { COMPUTE_CLUSTER } from '../cloud/azure-batch.ts';
import { deriveNames, PREFIX_PATTERN, PREFIX_RULE } from '../cloud/azure-names.ts';
import { blobUri } from '../cloud/blob-location.ts';
import { AzapiProvider } from './azapi-provider.ts';
import { BatchStore } from './constructs/batch-store.ts';
import { ComputeCluster } from './constructs/compute-cluster.ts';
import { EndpointIdentity } from './constructs/endpoint-identity.ts';
import { FlatStack } from './constructs/flat.ts';
import { GithubIdentity, type AssignableRole, type GithubIdentityProps } from './constructs/github-identity.ts';
import { ManagedOnlineEndpoint } from './constructs/managed-online-endpoint.ts';
import { MlWorkspace } from './constructs/ml-workspace.ts';
import { ModelDatastore } from './constructs/model-datastore.ts';
import { MonitoringStore } from './constructs/monitoring-store.ts';
import { RegisteredModel } from './constructs/registered-model.ts';
import { METRICS_PUBLISHER_ROLE, ScheduledMonitor } from './constructs/scheduled-monitor.ts';
import { ServingImageBuild, type ImageBuild } from './constructs/serving-image-build.ts';
import type { ImageContent } from './image.ts';
import type { ModelSource } from './model-source.ts';

export const STACK_ID = 'azure';
/** Terraform state lives in the git-ignored .rookery folder: it holds storage keys. */
export const STATE_FILE = '.rookery/azure/terraform.tfstate';

const TAGS = { app: 'rookery', 'managed-by': 'cdktf' };

/** Every role the app assigns (EndpointIdentity, ModelDatastore, MonitoringStore): all a GitHub deploy may hand out (and the scheduled monitor's publisher role when it is on). */
const APP_ROLES: readonly AssignableRole[] = ['AcrPull', 'Storage Blob Data Contributor', 'Storage Blob Data Reader'];

export interface AzureStackProps {
  /** The validated name prefix: the `prefix` variable's default. */
  readonly prefix: string;
  /**
   * An endpoint name not derived from the prefix.
   * @default `<prefix>-endpoint`
   */
  readonly endpointName?: string;
  readonly location: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly deploymentName: string;
  readonly model: ModelSource;
  readonly image: ImageContent;
  readonly imageBuild: ImageBuild;
  /** The Dockerfile, relative to the build context. */
  readonly dockerfile: string;
  /** Where Terraform keeps state and runs the image build, relative to the stack's folder (`stackPaths`). */
  readonly paths: StackPaths;
  /**
   * The GitHub repository and environment whose jobs may deploy, keyless.
   * @default none: no GitHub identity, nothing added
   */
  readonly github?: Pick<GithubIdentityProps, 'repository' | 'environment'>;
  /**
   * Keep Terraform state in an Azure blob, so a deploy from a fresh machine (a
   * GitHub runner) sees what earlier deploys made.
   * @default none: the local state file at `paths.stateFile`
   */
  readonly remoteState?: RemoteState;
  /**
   * Run `rookery monitor` on a schedule in Azure ML, publish its figures to
   * Azure Monitor and alert on drifted columns.
   * @default none: no schedule, compute, alert or their identity
   */
  readonly monitor?: MonitorSchedule;
}

/** When the scheduled monitor runs, and who hears about drift. */
export interface MonitorSchedule {
  /** Five-field cron expression, UTC. */
  readonly cron: string;
  /**
   * The drift alert's email receiver.
   * @default none: the alert shows in Azure Monitor only
   */
  readonly email?: string;
}

/** A blob in a storage account that exists before the first `terraform init` (the app does not create it). */
export interface RemoteState {
  readonly storageAccount: string;
  readonly resourceGroup: string;
  readonly container: string;
  /** The state blob's name. */
  readonly key: string;
}

export interface StackPaths {
  readonly stateFile: string;
  readonly buildContext: string;
}

/**
 * The state file and build context relative to the stack's synth folder, so
 * the synthesized Terraform holds no machine path.
 */
export function stackPaths(outdir: string, repoRoot: string): StackPaths {
  const stackDir = join(outdir, 'stacks', STACK_ID);
  return { stateFile: relative(stackDir, join(repoRoot, STATE_FILE)), buildContext: relative(stackDir, repoRoot) || '.' };
}

interface CaptureLocations {
  readonly store: MonitoringStore;
  /** DATA_COLLECTION_URI: where the endpoint's captures go and `rookery monitor` reads them. */
  readonly captureUri: string;
  /** Where `rookery label` writes the captures' ground truth. */
  readonly groundTruthUri: string;
}

/**
 * The serving program's own capture of every request (as SageMaker's Data
 * Capture at 100%), signed in as the endpoint's user-assigned identity:
 * DefaultAzureCredential picks a user-assigned identity only by its client id.
 */
function captureEnvironment(captureUri: string, clientId: string): Record<string, string> {
  return { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: captureUri, AZURE_CLIENT_ID: clientId };
}

/** The outputs that run the monitoring loop's steps from a laptop (`az login`). */
function monitoringCommands({ captureUri, groundTruthUri }: CaptureLocations): Record<string, string> {
  return {
    capture_uri: captureUri,
    ground_truth_uri: groundTruthUri,
    label: `rookery label --datastore ${captureUri} --ground-truth ${groundTruthUri}`,
    monitor: `rookery monitor --datastore ${captureUri} --ground-truth ${groundTruthUri} --out reports/`,
  };
}

export class AzureStack extends FlatStack {
  readonly image: ImageContent;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    this.image = props.image;
    this.backend(props);
    const prefix = this.prefixVariable(props.prefix);
    const names = deriveNames(prefix);
    const endpointName = props.endpointName ?? names.endpoint;
    const client = this.providers();

    const ml = new MlWorkspace(this, 'MlWorkspace', { names, location: props.location, tenantId: client.tenantId, tags: TAGS });
    const { resourceGroup, storage, registry, workspace } = ml;
    const store = new ModelDatastore(this, 'ModelDatastore', {
      storageAccountId: storage.id,
      workspaceId: workspace.id,
      workspacePrincipalId: workspace.identity.principalId,
      deployerObjectId: client.objectId,
    });
    const capture = this.captureStore(ml, endpointName, client.objectId);
    const identity = new EndpointIdentity(this, 'EndpointIdentity', {
      ...ml.placement,
      name: names.endpointIdentity,
      registryId: registry.id,
      modelContainerId: store.container.resourceManagerId,
      captureContainerId: capture.store.captures.resourceManagerId,
    });
    const image = new ServingImageBuild(this, 'ServingImageBuild', {
      workspaceId: workspace.id,
      registry,
      subscriptionId: client.subscriptionId,
      image: props.image,
      method: props.imageBuild,
      dockerfile: props.dockerfile,
      workingDir: props.paths.buildContext,
      // Building takes minutes, which also lets the endpoint identity's role
      // assignments propagate before anything pulls with them.
      dependsOn: [...identity.grants],
    });
    const model = new RegisteredModel(this, 'RegisteredModel', {
      model: props.model,
      workspaceId: workspace.id,
      storageAccountName: storage.name,
      containerName: store.container.name,
      datastore: { subscriptionId: client.subscriptionId, resourceGroupName: resourceGroup.name, workspaceName: workspace.name },
      dependsOn: [store.datastore],
    });
    const serving = new ManagedOnlineEndpoint(this, 'ManagedOnlineEndpoint', {
      workspaceId: workspace.id,
      endpointName,
      location: resourceGroup.location,
      identityId: identity.identity.id,
      deploymentName: props.deploymentName,
      environmentVariables: captureEnvironment(capture.captureUri, identity.identity.clientId),
      instanceType: props.instanceType,
      instanceCount: props.instanceCount,
      modelId: model.version.id,
      environmentId: image.environment.id,
      endpointDescription: `rookery ${props.model.name} classifier`,
      deploymentDescription: `${props.model.name}:${props.model.version} on image ${props.image.tag}`,
      tags: TAGS,
      dependsOn: [...identity.grants],
    });

    const outputs: Record<string, string> = {
      resource_group_name: resourceGroup.name,
      workspace_name: workspace.name,
      endpoint_name: endpointName,
      deployment_name: props.deploymentName,
      scoring_uri: serving.scoringUri,
      image: image.imageRef,
      model_version: `${props.model.name}:${props.model.version}`,
      try_it: `rookery invoke --target azure --endpoint ${endpointName}`,
      ...this.batchScoring(ml, store, names.jobIdentity, client.objectId),
      ...monitoringCommands(capture),
      ...(props.github ? this.githubDeployer(props.github, ml, names.githubIdentity, client, props.monitor ? [METRICS_PUBLISHER_ROLE] : []) : {}),
      ...(props.monitor ? this.scheduledMonitor(props.monitor, { ml, identityName: names.monitorIdentity, endpoint: { name: endpointName, id: serving.endpoint.id }, environmentId: image.environment.id, capture }) : {}),
    };
    for (const [id, value] of Object.entries(outputs)) new TerraformOutput(this, id, { value });
  }

  /** Batch scoring (`rookery score --target azure`): a cluster that costs nothing while idle. */
  private batchScoring(ml: MlWorkspace, store: ModelDatastore, identityName: string, deployerObjectId: string): Record<string, string> {
    const { storage, workspace, registry } = ml;
    const batch = new BatchStore(this, 'BatchStore', { storageAccountId: storage.id, workspaceId: workspace.id, deployerObjectId });
    const compute = new ComputeCluster(this, 'ComputeCluster', {
      ...ml.placement,
      workspaceId: workspace.id,
      name: COMPUTE_CLUSTER,
      identityName,
      registryId: registry.id,
      readContainerIds: [store.container.resourceManagerId],
      writeContainerIds: [batch.container.resourceManagerId],
    });
    return { compute_cluster: compute.cluster.name };
  }

  /**
   * The monitoring loop's containers and locations. One capture prefix per
   * endpoint, as SageMaker's `<endpoint>/` under its capture URI: a deployment
   * `rookery deploy azure` adds copies the variables, so blue and green write
   * to the same place, which `rookery monitor` reads as one.
   */
  private captureStore(ml: MlWorkspace, endpointName: string, deployerObjectId: string): CaptureLocations {
    const store = new MonitoringStore(this, 'MonitoringStore', { storageAccountId: ml.storage.id, deployerObjectId });
    const service = { serviceUrl: Fn.trimsuffix(ml.storage.primaryBlobEndpoint, '/'), account: ml.storage.name };
    return {
      store,
      captureUri: blobUri({ ...service, container: store.captures.name, prefix: endpointName }),
      groundTruthUri: blobUri({ ...service, container: store.groundTruth.name, prefix: endpointName }),
    };
  }

  /** The scheduled monitor (only when a schedule is set) and where its reports go. */
  private scheduledMonitor(
    monitor: MonitorSchedule,
    on: { ml: MlWorkspace; identityName: string; endpoint: { name: string; id: string }; environmentId: string; capture: CaptureLocations },
  ): Record<string, string> {
    const { store, captureUri, groundTruthUri } = on.capture;
    const scheduled = new ScheduledMonitor(this, 'ScheduledMonitor', {
      ...on.ml.placement,
      workspaceId: on.ml.workspace.id,
      cron: monitor.cron,
      ...(monitor.email ? { alertEmail: monitor.email } : {}),
      computeName: MONITOR_COMPUTE,
      identityName: on.identityName,
      scheduleName: MONITOR_SCHEDULE,
      registryId: on.ml.registry.id,
      environmentId: on.environmentId,
      endpoint: on.endpoint,
      captures: { uri: captureUri, containerId: store.captures.resourceManagerId },
      groundTruth: { uri: groundTruthUri, containerId: store.groundTruth.resourceManagerId },
      reports: { containerId: store.reports.resourceManagerId },
    });
    return { monitor_reports: scheduled.reportPath };
  }

  /**
   * The prefix as a Terraform variable: validated before synth, and under the
   * same rule when plain Terraform (after `cdktf synth --hcl`) takes `-var prefix=...`.
   */
  private prefixVariable(defaultPrefix: string): string {
    const prefix = new TerraformVariable(this, 'prefix', {
      type: 'string',
      default: defaultPrefix,
      description: `Name prefix for every resource: ${PREFIX_RULE}; storage, key vault and registry names built from it are global.`,
    });
    prefix.addValidation({
      condition: Fn.can(Fn.regex(PREFIX_PATTERN.source, prefix.stringValue)),
      errorMessage: `The prefix must be ${PREFIX_RULE}.`,
    });
    return prefix.stringValue;
  }

  /** The identity GitHub Actions deploys as, and the ids `azure/login` needs (no secret among them). */
  private githubDeployer(
    github: NonNullable<AzureStackProps['github']>,
    ml: MlWorkspace,
    name: string,
    client: DataAzurermClientConfig,
    extraRoles: readonly AssignableRole[],
  ): Record<string, string> {
    const deployer = new GithubIdentity(this, 'GithubIdentity', {
      ...ml.placement,
      ...github,
      name,
      resourceGroupId: ml.resourceGroup.id,
      assignableRoles: [...APP_ROLES, ...extraRoles],
    });
    return { github_client_id: deployer.identity.clientId, github_tenant_id: client.tenantId, github_subscription_id: client.subscriptionId };
  }

  /**
   * The local state file, or the blob: signed in through Entra ID (no storage
   * key) with OIDC enabled, so a GitHub runner's federated token (ARM_USE_OIDC,
   * ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID) is enough; without an
   * OIDC token Terraform falls back to the Azure CLI's `az login`.
   */
  private backend(props: AzureStackProps): void {
    const state = props.remoteState;
    if (!state) {
      new LocalBackend(this, { path: props.paths.stateFile });
      return;
    }
    new AzurermBackend(this, {
      storageAccountName: state.storageAccount,
      containerName: state.container,
      key: state.key,
      resourceGroupName: state.resourceGroup,
      useAzureadAuth: true,
      useOidc: true,
    });
  }

  /** azurerm (purging what `cdktf destroy` removes), azapi, and who is deploying. */
  private providers(): DataAzurermClientConfig {
    new AzurermProvider(this, 'azurerm', {
      features: [
        {
          // `cdktf destroy` must leave nothing behind and the names free for the next deploy:
          // purge rather than soft-delete the vault, workspace and Log Analytics workspace.
          keyVault: [{ purgeSoftDeleteOnDestroy: true, recoverSoftDeletedKeyVaults: true }],
          machineLearning: [{ purgeSoftDeletedWorkspaceOnDestroy: true }],
          logAnalyticsWorkspace: [{ permanentlyDeleteOnDestroy: true }],
          // Azure adds resources of its own to the group (alert rules, endpoint internals);
          // deleting the group must take them too.
          resourceGroup: [{ preventDeletionIfContainsResources: false }],
          // Stops Application Insights creating a "Failure Anomalies" alert rule nobody manages.
          applicationInsights: [{ disableGeneratedRule: true }],
        },
      ],
    });
    new AzapiProvider(this, 'azapi');
    return new DataAzurermClientConfig(this, 'current', {});
  }
}
