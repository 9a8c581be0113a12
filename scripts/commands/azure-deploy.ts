import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findArtifactDir, SERVING_INPUT_EXAMPLE_FILE } from '../../model/artifact.ts';
import { parseModelReference } from '../../model/reference.ts';
import { resolveModel } from '../../registry/resolve.ts';
import type { ConnectionOptions } from '../azure/connection.ts';
import type { DeployOutcome } from '../azure/deploy.ts';
import type { LocalModel, RegisteredModel, UploadOptions } from '../azure/model.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { UserError } from '../../model/user-error.ts';
import { readConfig } from '../config.ts';
import { DEFAULT_MODEL_NAME } from '../../model/defaults.ts';

/** What `--model` names: a model already in the workspace, or a local one to upload. */
export type ModelArg = { kind: 'workspace'; name: string; version: string } | { kind: 'local'; dir: string; name: string; version?: string } | { kind: 'registry'; ref: string };

/** How long `--timeout` lets provisioning take when not given. */
const TIMEOUT_MINUTES = 45;

const WORKSPACE_MODEL = /^(?:azureml:)?([A-Za-z0-9][\w-]*):(\d+)$/;

/** Reads `--model`: `azureml:NAME:VERSION` or `NAME:VERSION`, a directory, or a local registry reference. */
export function parseModelArg(text: string, cwd = process.cwd()): ModelArg {
  const m = WORKSPACE_MODEL.exec(text);
  if (m && !existsSync(resolve(cwd, text))) return { kind: 'workspace', name: m[1], version: m[2] };
  const path = resolve(cwd, text);
  if (existsSync(path) && statSync(path).isDirectory()) {
    const dir = findArtifactDir(path, 2);
    if (!dir) throw new UserError(`${text} holds no model: expected an MLmodel file there or up to two folders below`, { exitCode: 2 });
    return { kind: 'local', dir, name: DEFAULT_MODEL_NAME, ...(/[\\/]versions[\\/](\d+)$/.exec(dir) ? { version: /[\\/]versions[\\/](\d+)$/.exec(dir)![1] } : {}) };
  }
  const reference = parseModelReference(text, cwd);
  if (reference.kind === 'dir') {
    throw new UserError(`--model ${JSON.stringify(text)} is not a workspace model (azureml:NAME:VERSION), a model directory or a registry reference (models:/NAME@ALIAS, models:/NAME/VERSION)`, { exitCode: 2 });
  }
  return { kind: 'registry', ref: text };
}

export interface AzureDeployFlags {
  endpoint?: string;
  model?: string;
  'model-name'?: string;
  'model-version'?: string;
  subscription?: string;
  'resource-group'?: string;
  workspace?: string;
  'instance-type'?: string;
  'instance-count'?: string;
  probe?: string;
  timeout?: string;
  'keep-failed'?: boolean;
}

/** The command's work, with the Azure connection injectable (tests point it at local doubles). */
export async function runAzureDeploy(
  values: AzureDeployFlags,
  out: (line: string) => void,
  connection: ConnectionOptions & Pick<UploadOptions, 'blobServiceUrl' | 'blobCredential'> & { pollIntervalMs?: number } = {},
): Promise<DeployOutcome> {
  if (!values.endpoint) throw new UserError("--endpoint NAME is required (see 'rookery deploy azure --help')", { exitCode: 2 });
  if (!values.model) throw new UserError("--model is required (see 'rookery deploy azure --help')", { exitCode: 2 });
  const timeoutMinutes = numberFlag('timeout', values.timeout, TIMEOUT_MINUTES, { min: 1 });
  const instanceCount = values['instance-count'] === undefined ? undefined : numberFlag('instance-count', values['instance-count'], 1, { integer: true, min: 1, max: 20 });
  if (values['instance-type'] && !/^Standard_[A-Za-z0-9_]+$/.test(values['instance-type'])) {
    throw new UserError(`--instance-type ${JSON.stringify(values['instance-type'])} is not a VM size such as Standard_DS3_v2`, { exitCode: 2 });
  }
  if (values['model-version'] && !/^[1-9]\d*$/.test(values['model-version'])) {
    throw new UserError(`--model-version ${JSON.stringify(values['model-version'])} must be a positive whole number`, { exitCode: 2 });
  }

  const arg = parseModelArg(values.model);
  let local: LocalModel | undefined;
  if (arg.kind === 'registry') {
    const resolved = await resolveModel(arg.ref, { settings: readConfig(), cwd: process.cwd(), source: '--model' });
    local = { dir: resolved.dir, name: values['model-name'] ?? resolved.name, version: values['model-version'] ?? String(resolved.version) };
  } else if (arg.kind === 'local') {
    const version = values['model-version'] ?? arg.version;
    if (!version) throw new UserError(`${values.model} is not a registry version folder (…/versions/<n>): pass --model-version`, { exitCode: 2 });
    local = { dir: arg.dir, name: values['model-name'] ?? arg.name, version };
  }

  let probeBody: unknown;
  const probeFile = values.probe ?? (local && existsSync(join(local.dir, SERVING_INPUT_EXAMPLE_FILE)) ? join(local.dir, SERVING_INPUT_EXAMPLE_FILE) : undefined);
  if (probeFile) {
    try {
      probeBody = JSON.parse(readFileSync(probeFile, 'utf8'));
    } catch (err) {
      throw new UserError(`--probe ${probeFile} is not a JSON request body (${(err as Error).message})`, { exitCode: 2 });
    }
  }

  // Loaded here, not at the top: the Azure SDK would add ~130 ms to every other `rookery` command's start.
  const [{ connect, explainAzureError, resolveWorkspace }, { deployModel }, { existingModel, uploadModel }] = await Promise.all([
    import('../azure/connection.ts'),
    import('../azure/deploy.ts'),
    import('../azure/model.ts'),
  ]);
  const ref = await resolveWorkspace({ subscriptionId: values.subscription, resourceGroup: values['resource-group'], workspace: values.workspace });
  try {
    const conn = await connect(ref, connection);
    const model: RegisteredModel = local
      ? await uploadModel(conn, local, { out, ...(connection.blobServiceUrl ? { blobServiceUrl: connection.blobServiceUrl } : {}), ...(connection.blobCredential ? { blobCredential: connection.blobCredential } : {}) })
      : await existingModel(conn, (arg as { name: string }).name, (arg as { version: string }).version);
    return await deployModel(conn, {
      endpoint: values.endpoint,
      modelId: model.id,
      modelLabel: `${model.name}:${model.version}`,
      ...(values['instance-type'] ? { instanceType: values['instance-type'] } : {}),
      ...(instanceCount ? { instanceCount } : {}),
      ...(probeBody === undefined ? {} : { probeBody }),
      keepFailed: values['keep-failed'] ?? false,
      timeoutMs: timeoutMinutes * 60_000,
      ...(connection.pollIntervalMs ? { pollIntervalMs: connection.pollIntervalMs } : {}),
      out,
    });
  } catch (err) {
    throw explainAzureError(err, `online endpoint ${JSON.stringify(values.endpoint)}`);
  }
}

export const azureDeployCommand = defineCommand({
  name: 'deploy azure',
  summary: 'Roll a new model onto an Azure ML online endpoint (blue/green), moving traffic once it is healthy',
  about: `
Creates the idle deployment slot (blue or green) next to the live one, with the
same image, probes, size and payload logging and the new model; waits until
Azure reports it healthy; sends one request pinned to it (azureml-model-deployment
header); then moves 100% of traffic to it and deletes the old slot. If anything
fails first, traffic stays where it was and the new slot's last log lines are shown.`,
  notes: `
Credentials come from DefaultAzureCredential: run \`az login\` first.
The stack stays Terraform's: a later \`cdktf deploy azure\` restores its own
deployment (the registry champion) and gives it the traffic back.`,
  options: {
    endpoint: { type: 'string', value: 'NAME', required: true, description: 'the online endpoint (`cdktf deploy azure` prints it as endpoint_name)' },
    model: {
      type: 'string',
      value: 'MODEL',
      required: true,
      description: [
        'azureml:NAME:VERSION   a model already registered in the workspace',
        'models:/penguins@champion, models:/penguins/4',
        '                       a version from the local registry (ROOKERY_REGISTRY)',
        'DIR                    an MLflow-layout model directory',
        'Local models are uploaded to the workspace\'s rookery_models datastore',
        'and registered as NAME:VERSION (reused if already there with the same files).',
      ].join('\n'),
    },
    'model-name': { type: 'string', value: 'NAME', description: `registered name for a local model (default: its registry name, else ${DEFAULT_MODEL_NAME})` },
    'model-version': { type: 'string', value: 'N', description: 'registered version for a local model (default: its registry version)' },
    subscription: { type: 'string', value: 'ID', description: 'default: AZURE_SUBSCRIPTION_ID, ARM_SUBSCRIPTION_ID, then `az account show`' },
    'resource-group': { type: 'string', value: 'RG', description: 'default: ROOKERY_AZURE_RESOURCE_GROUP, else <ROOKERY_AZURE_PREFIX>-rg' },
    workspace: { type: 'string', value: 'WS', description: 'default: ROOKERY_AZURE_WORKSPACE, else <ROOKERY_AZURE_PREFIX>-mlw' },
    'instance-type': { type: 'string', value: 'T', description: "VM size for the new slot (default: the live slot's)" },
    'instance-count': { type: 'string', value: 'N', description: "instances for the new slot (default: the live slot's)" },
    probe: { type: 'string', value: 'FILE', description: "request body for the pre-switch check (default: the model's serving_input_example.json)" },
    timeout: { type: 'string', value: 'MIN', description: 'give up on provisioning after MIN minutes', default: TIMEOUT_MINUTES },
    'keep-failed': { type: 'boolean', description: 'keep a failed slot for inspection instead of deleting it' },
  },
  async run({ values, out }) {
    await runAzureDeploy(values, out);
    return 0;
  },
});
