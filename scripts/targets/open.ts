import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../model/user-error.ts';
import type { OptionTable } from '../help.ts';
import { DEFAULT_LOCAL_ENDPOINT, localTarget } from './local.ts';
import type { Target } from './target.ts';

export const TARGET_NAMES = ['local', 'sagemaker', 'azure'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface OpenTargetOptions {
  /** Requests in flight at once: the local target keeps this many sockets. */
  concurrency?: number;
  timeoutMs?: number;
  /** SageMaker: the endpoint's region (default: the AWS SDK's own resolution). */
  region?: string;
  /** Azure ML: workspace coordinates (defaults as `rookery deploy azure` resolves them) and an optional pinned deployment. */
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
  deployment?: string;
}

/**
 * Loads a cloud target's module only when asked for: the AWS and Azure SDKs
 * would otherwise slow every local run. A module that is not in this checkout
 * is reported by name rather than replaced by something that only looks like it.
 */
async function importTarget<T>(name: TargetName, relativePath: string, exportName: string): Promise<T> {
  const url = new URL(relativePath, import.meta.url);
  if (!existsSync(url)) {
    const file = relative(fileURLToPath(new URL('../..', import.meta.url)), fileURLToPath(url));
    throw new UserError(`the ${name} target is not available in this checkout (${file} is missing); use --target local`);
  }
  const mod = (await import(url.href)) as Record<string, unknown>;
  const factory = mod[exportName];
  if (typeof factory !== 'function') throw new UserError(`the ${name} target module does not export ${exportName}()`);
  return factory as T;
}

/** The one way traffic and invoke reach a model: by target name and endpoint (a URL for local, an endpoint name for the clouds). */
export async function openTarget(name: string, endpoint: string, options: OpenTargetOptions = {}): Promise<Target> {
  if (!(TARGET_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`--target ${JSON.stringify(name)} is not one of ${TARGET_NAMES.join(', ')}`, { exitCode: 2 });
  }
  if (!endpoint) throw new UserError('--endpoint is required: a URL for --target local, the endpoint name for sagemaker and azure', { exitCode: 2 });
  switch (name as TargetName) {
    case 'local':
      return localTarget({ endpoint, ...(options.concurrency ? { maxSockets: options.concurrency } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    case 'sagemaker': {
      const sagemakerTarget = await importTarget<(o: { endpoint: string; region?: string; timeoutMs?: number }) => Target | Promise<Target>>('sagemaker', './sagemaker.ts', 'sagemakerTarget');
      return sagemakerTarget({ endpoint, ...(options.region ? { region: options.region } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    }
    case 'azure': {
      const azureTarget = await importTarget<(o: Record<string, unknown>) => Promise<Target>>('azure', '../azure/target.ts', 'azureTarget');
      return azureTarget({
        endpoint,
        ...(options.subscriptionId ? { subscriptionId: options.subscriptionId } : {}),
        ...(options.resourceGroup ? { resourceGroup: options.resourceGroup } : {}),
        ...(options.workspace ? { workspace: options.workspace } : {}),
        ...(options.deployment ? { deployment: options.deployment } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
    }
  }
}

/** The target flags `invoke` and `traffic` share. */
export const TARGET_FLAGS = {
  target: { type: 'string', value: TARGET_NAMES.join('|'), description: 'where the model runs', default: 'local' },
  endpoint: {
    type: 'string',
    value: 'URL|NAME',
    description: `local: the scoring URL (default ${DEFAULT_LOCAL_ENDPOINT});\nsagemaker, azure: the endpoint name`,
  },
  region: { type: 'string', value: 'R', description: "sagemaker: the endpoint's region (default: AWS_REGION / your AWS profile)", inUsage: false },
  subscription: { type: 'string', value: 'ID', description: "azure: the workspace's subscription (defaults as for 'rookery deploy azure')", inUsage: false },
  'resource-group': { type: 'string', value: 'RG', description: "azure: the workspace's resource group (defaults as for 'rookery deploy azure')", inUsage: false },
  workspace: { type: 'string', value: 'WS', description: "azure: the workspace (defaults as for 'rookery deploy azure')", inUsage: false },
  deployment: { type: 'string', value: 'D', description: 'azure: a deployment to pin every request to', inUsage: false },
} as const satisfies OptionTable;

export function targetOptions(values: { region?: string; subscription?: string; 'resource-group'?: string; workspace?: string; deployment?: string }): OpenTargetOptions {
  return {
    ...(values.region ? { region: values.region } : {}),
    ...(values.subscription ? { subscriptionId: values.subscription } : {}),
    ...(values['resource-group'] ? { resourceGroup: values['resource-group'] } : {}),
    ...(values.workspace ? { workspace: values.workspace } : {}),
    ...(values.deployment ? { deployment: values.deployment } : {}),
  };
}
