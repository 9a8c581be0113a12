/**
 * Where the CLI finds the Azure ML workspace and how it talks to Azure
 * Resource Manager: the `@azure/arm-machinelearning` client on the same API
 * version the Azure app deploys with, signed in through DefaultAzureCredential
 * (az login, environment, managed identity). Errors a user can fix come out as
 * one-line UserErrors.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TokenCredential } from '@azure/identity';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { AML_API_VERSION } from '../../cloud/azure-ml.ts';
import { deriveNames, validatePrefix } from '../../cloud/azure-names.ts';
import { UserError } from '../../model/user-error.ts';
import { isLoginError, LOGIN_MESSAGE } from './login-error.ts';

export { isLoginError, LOGIN_MESSAGE };

export const ARM_URL = 'https://management.azure.com';
const ARM_SCOPE = 'https://management.azure.com/.default';

export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

/** How to reach Azure; every field has a production default, tests point them at local doubles. */
export interface ConnectionOptions {
  credential?: TokenCredential;
  /** Azure Resource Manager base URL (default https://management.azure.com). */
  armBaseUrl?: string;
  /** Extra CA certificate (PEM) to trust, e.g. a TLS-inspecting proxy's. */
  ca?: string;
}

export interface WorkspaceOptions {
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
}

export interface AmlConnection {
  ref: WorkspaceRef;
  client: AzureMachineLearningWorkspaces;
  credential: TokenCredential;
  armBaseUrl: string;
  ca?: string;
}

/**
 * Subscription, resource group and workspace from flags, then the
 * environment (AZURE_SUBSCRIPTION_ID / ARM_SUBSCRIPTION_ID,
 * ROOKERY_AZURE_RESOURCE_GROUP, ROOKERY_AZURE_WORKSPACE), then the names the
 * Azure app derives from ROOKERY_AZURE_PREFIX, and for the subscription
 * finally the Azure CLI's current one.
 */
export async function resolveWorkspace(options: WorkspaceOptions, env: NodeJS.ProcessEnv = process.env): Promise<WorkspaceRef> {
  const prefix = env.ROOKERY_AZURE_PREFIX?.trim();
  let derived: ReturnType<typeof deriveNames> | undefined;
  if (prefix) {
    try {
      derived = validatePrefix(prefix, 'ROOKERY_AZURE_PREFIX');
    } catch (err) {
      // A bad prefix is bad usage here (exit 2), not a failed deploy.
      if (err instanceof UserError) throw new UserError(err.message, { exitCode: 2 });
      throw err;
    }
  }
  const missing = (what: string, flag: string, variable: string) =>
    new UserError(`no ${what}: pass --${flag}, set ${variable}, or set ROOKERY_AZURE_PREFIX to the prefix \`cdktf deploy azure\` used`, { exitCode: 2 });
  const resourceGroup = options.resourceGroup ?? (env.ROOKERY_AZURE_RESOURCE_GROUP?.trim() || derived?.resourceGroup);
  if (!resourceGroup) throw missing('resource group', 'resource-group', 'ROOKERY_AZURE_RESOURCE_GROUP');
  const workspace = options.workspace ?? (env.ROOKERY_AZURE_WORKSPACE?.trim() || derived?.workspace);
  if (!workspace) throw missing('Azure ML workspace', 'workspace', 'ROOKERY_AZURE_WORKSPACE');
  const subscriptionId =
    options.subscriptionId ?? (env.AZURE_SUBSCRIPTION_ID?.trim() || env.ARM_SUBSCRIPTION_ID?.trim() || (await azCliSubscription()));
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(subscriptionId)) {
    throw new UserError(`subscription ${JSON.stringify(subscriptionId)} is not a subscription ID (a GUID); check --subscription or AZURE_SUBSCRIPTION_ID`, { exitCode: 2 });
  }
  return { subscriptionId, resourceGroup, workspace };
}

async function azCliSubscription(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('az', ['account', 'show', '--query', 'id', '--output', 'tsv'], { timeout: 20_000 });
    const id = stdout.trim();
    if (id) return id;
  } catch {
    // Not installed or not logged in: fall through to the message below.
  }
  throw new UserError('no Azure subscription: set AZURE_SUBSCRIPTION_ID or pass --subscription (after `az login`, `az account show --query id -o tsv` prints it)', { exitCode: 2 });
}

async function defaultCredential(): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

/** The Azure ML management client for a workspace. */
export async function connect(ref: WorkspaceRef, options: ConnectionOptions = {}): Promise<AmlConnection> {
  const credential = options.credential ?? (await defaultCredential());
  const armBaseUrl = (options.armBaseUrl ?? ARM_URL).replace(/\/+$/, '');
  const client = new AzureMachineLearningWorkspaces(credential, ref.subscriptionId, {
    $host: armBaseUrl,
    endpoint: armBaseUrl,
    apiVersion: AML_API_VERSION,
    credentialScopes: [ARM_SCOPE],
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
  });
  return { ref, client, credential, armBaseUrl, ...(options.ca ? { ca: options.ca } : {}) };
}

export function workspacePath(ref: WorkspaceRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ref.workspace}`;
}

/**
 * Turns what Azure answers into something a user can act on: missing login,
 * missing resource, missing permission. Anything else passes through.
 */
export function explainAzureError(err: unknown, what: string): unknown {
  if (err instanceof UserError) return err;
  if (isLoginError(err)) return new UserError(LOGIN_MESSAGE);
  const e = err as { statusCode?: number; code?: string; message?: string };
  const detail = (e.message ?? '').split('\n')[0];
  if (e.statusCode === 404) return new UserError(`${what} not found (${detail || 'HTTP 404'})`);
  if (e.statusCode === 401 || e.statusCode === 403) {
    return new UserError(`Azure refused access to ${what} (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ''}): your account needs Contributor or AzureML Data Scientist on the workspace`);
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT') {
    return new UserError(`cannot reach Azure for ${what} (${e.code}): check the network`);
  }
  return err;
}

/** Runs an Azure call, rethrowing its failure through `explainAzureError`. */
export async function azureCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explainAzureError(err, what);
  }
}
