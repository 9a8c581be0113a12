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
import { deriveNames, PREFIX_PATTERN, PREFIX_RULE } from '../cloud/azure-names.ts';
import { AzapiProvider } from './azapi-provider.ts';
import { EndpointIdentity } from './constructs/endpoint-identity.ts';
import { FlatStack } from './constructs/flat.ts';
import { GithubIdentity, type AssignableRole, type GithubIdentityProps } from './constructs/github-identity.ts';
import { ManagedOnlineEndpoint } from './constructs/managed-online-endpoint.ts';
import { MlWorkspace } from './constructs/ml-workspace.ts';
import { blobContainerId, ModelDatastore, workspaceBlobStoreContainer } from './constructs/model-datastore.ts';
import { RegisteredModel } from './constructs/registered-model.ts';
import { ServingImageBuild, type ImageBuild } from './constructs/serving-image-build.ts';
import type { ImageContent } from './image.ts';
import type { ModelSource } from './model-source.ts';

export const STACK_ID = 'azure';
/** Terraform state lives in the git-ignored .rookery folder: it holds storage keys. */
export const STATE_FILE = '.rookery/azure/terraform.tfstate';

const TAGS = { app: 'rookery', 'managed-by': 'cdktf' };

/** Every role the app assigns (EndpointIdentity, ModelDatastore): all a GitHub deploy may hand out. */
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
    const identity = new EndpointIdentity(this, 'EndpointIdentity', {
      ...ml.placement,
      name: names.endpointIdentity,
      registryId: registry.id,
      modelContainerId: store.container.resourceManagerId,
      payloadContainerId: blobContainerId(storage.id, workspaceBlobStoreContainer(workspace.workspaceId)),
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
      ...(props.github ? this.githubDeployer(props.github, ml, names.githubIdentity, client) : {}),
    };
    for (const [id, value] of Object.entries(outputs)) new TerraformOutput(this, id, { value });
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
  ): Record<string, string> {
    const deployer = new GithubIdentity(this, 'GithubIdentity', {
      ...ml.placement,
      ...github,
      name,
      resourceGroupId: ml.resourceGroup.id,
      assignableRoles: APP_ROLES,
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
