/**
 * The Azure app's one configuration reader: environment variables first, then
 * cdktf context (cdktf.json "context" or CDKTF_CONTEXT_JSON), then defaults.
 * Everything is checked here, before synth, and a bad value fails with one
 * line naming the value, where it came from and what would be accepted.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { DEPLOYMENT_NAME_PATTERN, NAME_RULES, checkName, validatePrefix, type AzureNames } from '../cloud/azure-names.ts';
import { DEFAULT_MODEL_NAME } from '../model/defaults.ts';
import { UserError } from '../model/user-error.ts';
import type { ImageBuild } from './constructs/serving-image-build.ts';
import type { ModelRequest } from './model-source.ts';
import type { MonitorSchedule, RemoteState } from './stack.ts';

export interface AzureAppConfig {
  readonly prefix: string;
  /** Names derived from the prefix (the endpoint's replaced by `endpointOverride` when set). */
  readonly names: AzureNames;
  /** ROOKERY_AZURE_ENDPOINT: an endpoint name not derived from the prefix. */
  readonly endpointOverride?: string;
  readonly location: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly deploymentName: string;
  /** Which model to deploy; azure/main.ts resolves it (azure/model-source.ts). */
  readonly model: ModelRequest;
  readonly imageBuild: ImageBuild;
  /** The docker build context: the repository root. */
  readonly repoRoot: string;
  /** Dockerfile relative to `repoRoot`. */
  readonly dockerfile: string;
  /** ROOKERY_AZURE_GITHUB_REPOSITORY: the repository whose workflows may deploy; unset adds nothing. */
  readonly github?: GithubDeployer;
  /** ROOKERY_AZURE_STATE_*: Terraform state in an Azure blob; unset keeps the local state file. */
  readonly remoteState?: RemoteState;
  /** ROOKERY_AZURE_MONITOR_SCHEDULE: the scheduled monitor's cron; unset creates nothing of it. */
  readonly monitor?: MonitorSchedule;
}

/** Which GitHub Actions jobs may sign in as the app's deploy identity. */
export interface GithubDeployer {
  /** OWNER/NAME, as GitHub spells it (the token's subject is compared exactly). */
  readonly repository: string;
  /** The GitHub environment the deploy job runs in. */
  readonly environment: string;
}

/** The Azure app's own defaults; the model's (penguins@champion) are model/defaults.ts's. */
export const DEFAULTS = {
  location: 'eastus',
  instanceType: 'Standard_DS3_v2',
  instanceCount: 1,
  deploymentName: 'blue',
  imageBuild: 'acr' as ImageBuild,
  dockerfile: 'container/Dockerfile',
  githubEnvironment: 'production',
  stateContainer: 'tfstate',
};

type Lookup = (key: string) => unknown;

interface Setting {
  value: string;
  origin: string;
}

interface Settings {
  get(envName: string, contextKey: string): Setting | undefined;
}

/** Environment variable first, then the cdktf context key. */
function settings(env: NodeJS.ProcessEnv, context: Lookup): Settings {
  return {
    get(envName, contextKey) {
      const fromEnv = env[envName]?.trim();
      if (fromEnv) return { value: fromEnv, origin: envName };
      const fromContext = context(contextKey);
      if (fromContext !== undefined && fromContext !== null && String(fromContext).trim() !== '') {
        return { value: String(fromContext).trim(), origin: `context "${contextKey}"` };
      }
      return undefined;
    },
  };
}

function fail(s: Setting, why: string): never {
  throw new UserError(`${s.origin}=${JSON.stringify(s.value)} ${why}`);
}

const MODEL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const GITHUB_ENVIRONMENT = /^[A-Za-z0-9_.-]{1,255}$/;
/** Blob container rule: no leading, trailing or doubled hyphen. */
const STATE_CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** A blob name Terraform can use as-is: no spaces or characters that need URL escaping, not ending in . or /. */
const STATE_KEY = /^[A-Za-z0-9_.\/-]{0,1023}[A-Za-z0-9_-]$/;

/**
 * Reads and checks the configuration. `context` is the app's cdktf context
 * lookup (`app.node.tryGetContext`); `repoRoot` anchors relative paths.
 */
export function readAzureConfig(options: { env?: NodeJS.ProcessEnv; context?: Lookup; repoRoot: string }): AzureAppConfig {
  const read = settings(options.env ?? process.env, options.context ?? (() => undefined));
  const { prefix, names, endpoint } = readNames(read);
  const placement = readPlacement(read);
  const buildSetting = read.get('ROOKERY_AZURE_IMAGE_BUILD', 'imageBuild');
  const imageBuild = (buildSetting?.value ?? DEFAULTS.imageBuild) as ImageBuild;
  if (buildSetting && imageBuild !== 'acr' && imageBuild !== 'docker') {
    fail(buildSetting, 'must be "acr" (build in Azure with az acr build) or "docker" (build locally and push)');
  }
  return {
    prefix,
    names,
    ...(endpoint ? { endpointOverride: endpoint } : {}),
    ...placement,
    model: readModelRequest(read, options.repoRoot),
    imageBuild,
    repoRoot: options.repoRoot,
    dockerfile: read.get('ROOKERY_AZURE_DOCKERFILE', 'dockerfile')?.value ?? DEFAULTS.dockerfile,
    ...readGithub(read),
    ...readRemoteState(read, prefix),
    ...readMonitor(read),
  };
}

/** Minute, hour, day of month, month, day of week: digits, `*`, lists, ranges and steps (Azure ML's cron trigger). */
const CRON = /^([0-9*,/-]+\s+){4}[0-9*,/-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The scheduled monitor: off unless a schedule is set; an email without a schedule is a mistake, not ignored. */
function readMonitor(read: Settings): { monitor?: MonitorSchedule } {
  const schedule = read.get('ROOKERY_AZURE_MONITOR_SCHEDULE', 'monitorSchedule');
  const email = read.get('ROOKERY_AZURE_MONITOR_EMAIL', 'monitorEmail');
  if (!schedule) {
    if (email) fail(email, 'needs ROOKERY_AZURE_MONITOR_SCHEDULE too: the alert belongs to the scheduled monitor, e.g. ROOKERY_AZURE_MONITOR_SCHEDULE="0 6 * * *"');
    return {};
  }
  const cron = schedule.value.replace(/\s+/g, ' ');
  if (!CRON.test(cron)) fail(schedule, 'is not a five-field cron expression (minute hour day month weekday, UTC), e.g. "0 6 * * *" for 06:00 every day');
  if (email && !EMAIL.test(email.value)) fail(email, 'is not an email address');
  return { monitor: { cron, ...(email ? { email: email.value } : {}) } };
}

/**
 * Where Terraform keeps state when it is not the local file: the storage
 * account (created once, outside the app) and its resource group are both
 * needed, and setting any state value without them is a mistake, not a
 * silent fall back to local state.
 */
function readRemoteState(read: Settings, prefix: string): { remoteState?: RemoteState } {
  const account = read.get('ROOKERY_AZURE_STATE_STORAGE_ACCOUNT', 'stateStorageAccount');
  const group = read.get('ROOKERY_AZURE_STATE_RESOURCE_GROUP', 'stateResourceGroup');
  const container = read.get('ROOKERY_AZURE_STATE_CONTAINER', 'stateContainer');
  const key = read.get('ROOKERY_AZURE_STATE_KEY', 'stateKey');
  if (!account && !group && !container && !key) return {};
  const given = [account, group, container, key].find((s) => s)!.origin;
  if (!account) throw missingState(given, 'ROOKERY_AZURE_STATE_STORAGE_ACCOUNT', 'stateStorageAccount');
  if (!group) throw missingState(given, 'ROOKERY_AZURE_STATE_RESOURCE_GROUP', 'stateResourceGroup');
  if (!NAME_RULES.storageAccount.pattern.test(account.value)) {
    fail(account, `is not a storage account name: use ${NAME_RULES.storageAccount.rule} (the account holding Terraform state)`);
  }
  if (!NAME_RULES.resourceGroup.pattern.test(group.value)) {
    fail(group, `is not a resource group name: use ${NAME_RULES.resourceGroup.rule} (the group of the state storage account)`);
  }
  if (container && !STATE_CONTAINER.test(container.value)) {
    fail(container, 'is not a blob container name: use 3–63 lowercase letters, digits or single hyphens, starting and ending with a letter or digit, e.g. tfstate');
  }
  if (key && !STATE_KEY.test(key.value)) {
    fail(key, 'is not a state blob name: use up to 1024 letters, digits, periods, hyphens, underscores or slashes, not ending in a period or slash, e.g. rookery.tfstate');
  }
  return {
    remoteState: {
      storageAccount: account.value,
      resourceGroup: group.value,
      container: container?.value ?? DEFAULTS.stateContainer,
      key: key?.value ?? `rookery-${prefix}.tfstate`,
    },
  };
}

function missingState(given: string, envName: string, contextKey: string): UserError {
  return new UserError(`${given} is set but ${envName} (or context "${contextKey}") is not`, {
    fix: 'remote Terraform state needs both ROOKERY_AZURE_STATE_STORAGE_ACCOUNT and ROOKERY_AZURE_STATE_RESOURCE_GROUP; set both, or unset every ROOKERY_AZURE_STATE_* to keep the local state file',
  });
}

/** The GitHub repository (and environment) trusted to deploy; the environment is read only with a repository. */
function readGithub(read: Settings): { github?: GithubDeployer } {
  const repoSetting = read.get('ROOKERY_AZURE_GITHUB_REPOSITORY', 'githubRepository');
  if (!repoSetting) return {};
  if (!GITHUB_REPOSITORY.test(repoSetting.value)) {
    fail(repoSetting, 'is not a GitHub repository: use OWNER/NAME as GitHub spells it, e.g. ROOKERY_AZURE_GITHUB_REPOSITORY=octo-org/rookery');
  }
  const envSetting = read.get('ROOKERY_AZURE_GITHUB_ENVIRONMENT', 'githubEnvironment');
  if (envSetting && !GITHUB_ENVIRONMENT.test(envSetting.value)) {
    fail(envSetting, 'is not a GitHub environment name: use letters, digits, hyphens, underscores or periods, e.g. production');
  }
  return { github: { repository: repoSetting.value, environment: envSetting?.value ?? DEFAULTS.githubEnvironment } };
}

function readNames(read: Settings): { prefix: string; names: AzureNames; endpoint?: string } {
  const prefix = read.get('ROOKERY_AZURE_PREFIX', 'prefix');
  if (!prefix) {
    throw new UserError(
      'ROOKERY_AZURE_PREFIX is not set: choose 3–21 lowercase letters or digits starting with a letter, unique to you ' +
        '(storage account, key vault and registry names are global), e.g. ROOKERY_AZURE_PREFIX=rk$(whoami | tr -dc a-z0-9 | head -c 8)',
    );
  }
  const names = validatePrefix(prefix.value, prefix.origin);
  const endpoint = read.get('ROOKERY_AZURE_ENDPOINT', 'endpointName');
  if (!endpoint) return { prefix: prefix.value, names };
  checkName('endpoint', endpoint.value, endpoint.origin);
  return { prefix: prefix.value, names: { ...names, endpoint: endpoint.value }, endpoint: endpoint.value };
}

/** Where the endpoint runs and on how many of which VMs. */
function readPlacement(read: Settings): Pick<AzureAppConfig, 'location' | 'instanceType' | 'instanceCount' | 'deploymentName'> {
  const locationSetting = read.get('ROOKERY_AZURE_LOCATION', 'location');
  const location = locationSetting ? locationSetting.value.toLowerCase().replace(/\s+/g, '') : DEFAULTS.location;
  if (locationSetting && !/^[a-z][a-z0-9]{2,}$/.test(location)) {
    fail(locationSetting, 'is not an Azure region name; use the short form such as eastus or westeurope (az account list-locations -o table)');
  }

  const typeSetting = read.get('ROOKERY_AZURE_INSTANCE_TYPE', 'instanceType');
  const instanceType = typeSetting?.value ?? DEFAULTS.instanceType;
  if (typeSetting && !/^Standard_[A-Za-z0-9_]+$/.test(instanceType)) {
    fail(typeSetting, 'is not a VM size; use a managed online endpoint SKU such as Standard_DS3_v2 or Standard_F4s_v2');
  }

  const countSetting = read.get('ROOKERY_AZURE_INSTANCE_COUNT', 'instanceCount');
  const instanceCount = countSetting ? Number(countSetting.value) : DEFAULTS.instanceCount;
  if (countSetting && (!Number.isInteger(instanceCount) || instanceCount < 1 || instanceCount > 20)) {
    fail(countSetting, 'must be a whole number from 1 to 20');
  }

  const deploymentSetting = read.get('ROOKERY_AZURE_DEPLOYMENT', 'deploymentName');
  const deploymentName = deploymentSetting?.value ?? DEFAULTS.deploymentName;
  if (deploymentSetting && !DEPLOYMENT_NAME_PATTERN.test(deploymentName)) {
    fail(deploymentSetting, 'is not a deployment name: use 3–32 letters, digits or hyphens starting with a letter');
  }
  return { location, instanceType, instanceCount, deploymentName };
}

/**
 * The model settings, checked: a name Azure ML accepts, a version number, a
 * folder that holds a model. Resolving the model is azure/main.ts's.
 */
function readModelRequest(read: Settings, repoRoot: string): ModelRequest {
  const nameSetting = read.get('ROOKERY_AZURE_MODEL_NAME', 'modelName');
  const name = nameSetting?.value ?? DEFAULT_MODEL_NAME;
  if (nameSetting && !MODEL_NAME.test(name)) {
    fail(nameSetting, 'is not an Azure ML model name: use letters, digits, hyphens or underscores, starting with a letter or digit');
  }
  const versionSetting = read.get('ROOKERY_AZURE_MODEL_VERSION', 'modelVersion');
  if (versionSetting && !/^[1-9]\d*$/.test(versionSetting.value)) fail(versionSetting, 'must be a positive whole number');

  const dirSetting = read.get('ROOKERY_AZURE_MODEL_DIR', 'modelDir');
  let dir: ModelRequest['dir'];
  if (dirSetting) {
    const path = isAbsolute(dirSetting.value) ? dirSetting.value : resolve(repoRoot, dirSetting.value);
    if (!existsSync(join(path, 'MLmodel'))) {
      fail(dirSetting, `holds no model: expected an MLflow model directory with an MLmodel file at ${path}`);
    }
    dir = { path, ...dirSetting };
  }
  return { name, ...(versionSetting ? { version: versionSetting.value } : {}), ...(dir ? { dir } : {}) };
}
