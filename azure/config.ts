/**
 * The Azure app's one configuration reader: environment variables first, then
 * cdktf context (cdktf.json "context" or CDKTF_CONTEXT_JSON), then defaults.
 * Everything is checked here, before synth, and a bad value fails with one
 * line naming the value, where it came from and what would be accepted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { DEPLOYMENT_NAME_PATTERN, NamingError, checkName, validatePrefix, type AzureNames } from './names.ts';

export type ImageBuild = 'acr' | 'docker';

export interface ModelSource {
  /** Absolute path of the MLflow-layout model directory (holds MLmodel). */
  dir: string;
  /** Registered model name in the workspace. */
  name: string;
  /** Registered model version: the local registry's version number. */
  version: string;
  /** Files to upload, relative to `dir`, POSIX separators, sorted. */
  files: string[];
  /** SHA-256 over the files: a changed artifact under the same version replaces the registration. */
  sha256: string;
  /**
   * Where the model came from, without any path (it becomes the workspace
   * model's description, and synthesized output must not depend on the machine).
   */
  origin: string;
}

export interface AzureAppConfig {
  prefix: string;
  /** Names derived from the prefix (the endpoint's replaced by `endpointOverride` when set). */
  names: AzureNames;
  /** ROOKERY_AZURE_ENDPOINT: an endpoint name not derived from the prefix. */
  endpointOverride?: string;
  location: string;
  instanceType: string;
  instanceCount: number;
  deploymentName: string;
  model: ModelSource;
  imageBuild: ImageBuild;
  /** The docker build context: the repository root. */
  repoRoot: string;
  /** Dockerfile relative to `repoRoot`. */
  dockerfile: string;
}

export const DEFAULTS = {
  location: 'eastus',
  instanceType: 'Standard_DS3_v2',
  instanceCount: 1,
  deploymentName: 'blue',
  modelName: 'penguins',
  modelAlias: 'champion',
  registryDir: '.rookery/registry',
  imageBuild: 'acr' as ImageBuild,
  dockerfile: 'container/Dockerfile',
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Lookup = (key: string) => unknown;

interface Setting {
  value: string;
  origin: string;
}

/** Environment variable first, then the cdktf context key. */
function setting(env: NodeJS.ProcessEnv, context: Lookup, envName: string, contextKey: string): Setting | undefined {
  const fromEnv = env[envName]?.trim();
  if (fromEnv) return { value: fromEnv, origin: envName };
  const fromContext = context(contextKey);
  if (fromContext !== undefined && fromContext !== null && String(fromContext).trim() !== '') {
    return { value: String(fromContext).trim(), origin: `context "${contextKey}"` };
  }
  return undefined;
}

function fail(s: Setting, why: string): never {
  throw new ConfigError(`${s.origin}=${JSON.stringify(s.value)} ${why}`);
}

const MODEL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/;

/**
 * Reads and checks the configuration. `context` is the app's cdktf context
 * lookup (`app.node.tryGetContext`); `repoRoot` anchors relative paths.
 */
export function readAzureConfig(options: { env?: NodeJS.ProcessEnv; context?: Lookup; repoRoot: string }): AzureAppConfig {
  const env = options.env ?? process.env;
  const context: Lookup = options.context ?? (() => undefined);
  const { repoRoot } = options;

  const prefix = setting(env, context, 'ROOKERY_AZURE_PREFIX', 'prefix');
  if (!prefix) {
    throw new ConfigError(
      'ROOKERY_AZURE_PREFIX is not set: choose 3–21 lowercase letters or digits starting with a letter, unique to you ' +
        '(storage account, key vault and registry names are global), e.g. ROOKERY_AZURE_PREFIX=rk$(whoami | tr -dc a-z0-9 | head -c 8)',
    );
  }
  let names: AzureNames;
  try {
    names = validatePrefix(prefix.value, prefix.origin);
  } catch (err) {
    if (err instanceof NamingError) throw new ConfigError(err.message);
    throw err;
  }

  const endpoint = setting(env, context, 'ROOKERY_AZURE_ENDPOINT', 'endpointName');
  if (endpoint) {
    try {
      checkName('endpoint', endpoint.value, endpoint.origin);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    names = { ...names, endpoint: endpoint.value };
  }

  const locationSetting = setting(env, context, 'ROOKERY_AZURE_LOCATION', 'location');
  const location = locationSetting ? locationSetting.value.toLowerCase().replace(/\s+/g, '') : DEFAULTS.location;
  if (locationSetting && !/^[a-z][a-z0-9]{2,}$/.test(location)) {
    fail(locationSetting, 'is not an Azure region name; use the short form such as eastus or westeurope (az account list-locations -o table)');
  }

  const typeSetting = setting(env, context, 'ROOKERY_AZURE_INSTANCE_TYPE', 'instanceType');
  const instanceType = typeSetting?.value ?? DEFAULTS.instanceType;
  if (typeSetting && !/^Standard_[A-Za-z0-9_]+$/.test(instanceType)) {
    fail(typeSetting, 'is not a VM size; use a managed online endpoint SKU such as Standard_DS3_v2 or Standard_F4s_v2');
  }

  const countSetting = setting(env, context, 'ROOKERY_AZURE_INSTANCE_COUNT', 'instanceCount');
  const instanceCount = countSetting ? Number(countSetting.value) : DEFAULTS.instanceCount;
  if (countSetting && (!Number.isInteger(instanceCount) || instanceCount < 1 || instanceCount > 20)) {
    fail(countSetting, 'must be a whole number from 1 to 20');
  }

  const deploymentSetting = setting(env, context, 'ROOKERY_AZURE_DEPLOYMENT', 'deploymentName');
  const deploymentName = deploymentSetting?.value ?? DEFAULTS.deploymentName;
  if (deploymentSetting && !DEPLOYMENT_NAME_PATTERN.test(deploymentName)) {
    fail(deploymentSetting, 'is not a deployment name: use 3–32 letters, digits or hyphens starting with a letter');
  }

  const buildSetting = setting(env, context, 'ROOKERY_AZURE_IMAGE_BUILD', 'imageBuild');
  const imageBuild = (buildSetting?.value ?? DEFAULTS.imageBuild) as ImageBuild;
  if (buildSetting && imageBuild !== 'acr' && imageBuild !== 'docker') {
    fail(buildSetting, 'must be "acr" (build in Azure with az acr build) or "docker" (build locally and push)');
  }

  const dockerfile = setting(env, context, 'ROOKERY_AZURE_DOCKERFILE', 'dockerfile')?.value ?? DEFAULTS.dockerfile;

  return {
    prefix: prefix.value,
    names,
    ...(endpoint ? { endpointOverride: endpoint.value } : {}),
    location,
    instanceType,
    instanceCount,
    deploymentName,
    model: readModelSource(env, context, repoRoot),
    imageBuild,
    repoRoot,
    dockerfile,
  };
}

function readModelSource(env: NodeJS.ProcessEnv, context: Lookup, repoRoot: string): ModelSource {
  const nameSetting = setting(env, context, 'ROOKERY_AZURE_MODEL_NAME', 'modelName');
  const name = nameSetting?.value ?? DEFAULTS.modelName;
  if (nameSetting && !MODEL_NAME.test(name)) {
    fail(nameSetting, 'is not an Azure ML model name: use letters, digits, hyphens or underscores, starting with a letter or digit');
  }
  const versionSetting = setting(env, context, 'ROOKERY_AZURE_MODEL_VERSION', 'modelVersion');
  if (versionSetting && !/^[1-9]\d*$/.test(versionSetting.value)) fail(versionSetting, 'must be a positive whole number');

  const dirSetting = setting(env, context, 'ROOKERY_AZURE_MODEL_DIR', 'modelDir');
  let dir: string;
  let version: string | undefined = versionSetting?.value;
  let origin: string;
  if (dirSetting) {
    dir = isAbsolute(dirSetting.value) ? dirSetting.value : resolve(repoRoot, dirSetting.value);
    if (!existsSync(join(dir, 'MLmodel'))) {
      fail(dirSetting, `holds no model: expected an MLflow model directory with an MLmodel file at ${dir}`);
    }
    version ??= /[\\/]versions[\\/](\d+)[\\/]?$/.exec(dir)?.[1];
    if (!version) {
      throw new ConfigError(
        `${dirSetting.origin}=${dirSetting.value} is not a registry version folder (…/versions/<n>), so the workspace model version is unknown: set ROOKERY_AZURE_MODEL_VERSION`,
      );
    }
    origin = `${name} version ${version} from the folder ${dirSetting.origin} names`;
  } else {
    const registry = resolve(repoRoot, env.ROOKERY_REGISTRY?.trim() || DEFAULTS.registryDir);
    const aliasesFile = join(registry, name, 'aliases.json');
    const hint = 'run `npm start` or `rookery train` to train and register one, or set ROOKERY_AZURE_MODEL_DIR';
    if (!existsSync(aliasesFile)) {
      throw new ConfigError(`no ${name}@${DEFAULTS.modelAlias} model in ${registry}: ${hint}`);
    }
    let aliases: Record<string, unknown>;
    try {
      aliases = JSON.parse(readFileSync(aliasesFile, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${aliasesFile} is not valid JSON (${(err as Error).message}); fix it or ${hint}`);
    }
    const champion = aliases[DEFAULTS.modelAlias];
    if (typeof champion !== 'number' || !Number.isInteger(champion) || champion < 1) {
      throw new ConfigError(`${aliasesFile} has no "${DEFAULTS.modelAlias}" version: ${hint}`);
    }
    dir = join(registry, name, 'versions', String(champion));
    version ??= String(champion);
    origin = `${name}@${DEFAULTS.modelAlias} (version ${champion}) from the local registry`;
    if (!existsSync(join(dir, 'MLmodel'))) {
      throw new ConfigError(`${name}@${DEFAULTS.modelAlias} (version ${champion}) in ${registry} has no MLmodel file in ${dir}: ${hint}`);
    }
  }
  return { dir, name, version, ...modelFiles(dir), origin };
}

/** A model directory's files (relative POSIX paths, sorted) and a SHA-256 over names and contents. */
export function modelFiles(dir: string): { files: string[]; sha256: string } {
  const files = listFiles(dir);
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(dir, f))).update('\0');
  return { files, sha256: hash.digest('hex') };
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix))
    .flatMap((entry) => {
      const rel = prefix ? `${prefix}/${entry}` : entry;
      return statSync(join(dir, rel)).isDirectory() ? listFiles(dir, rel) : [rel];
    })
    .map((f) => f.split(sep).join('/'))
    .sort();
}
