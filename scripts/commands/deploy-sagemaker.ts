import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { findArtifactDir } from '../../model/artifact.ts';
import { resolveModel } from '../../registry/resolve.ts';
import type { AwsClients, DeployModel, SageMakerDeployOutcome, TrafficMode } from '../aws/deploy.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { UserError } from '../../model/user-error.ts';
import { readConfig } from '../config.ts';
import { DEFAULT_MODEL_REF } from '../../model/defaults.ts';

const TRAFFIC_MODES: TrafficMode[] = ['auto', 'all-at-once', 'canary', 'linear'];
/** What the flags default to; --help prints the same values. */
const DEPLOY_DEFAULTS = { traffic: 'auto', bake: 300, terminationWait: 0, poll: 30 } as const;

export interface SageMakerDeployFlags {
  endpoint?: string;
  model?: string;
  region?: string;
  traffic?: string;
  step?: string;
  bake?: string;
  'termination-wait'?: string;
  timeout?: string;
  alarm?: string[];
  artifacts?: string;
  poll?: string;
}

/** `--model`: a model directory, or a reference into the registry (MLflow when MLFLOW_TRACKING_URI is set, else the local folder). */
export async function resolveDeployModel(text: string, cwd = process.cwd()): Promise<DeployModel> {
  const model = await resolveModel(text, { settings: readConfig(), cwd, source: '--model' });
  return { dir: model.dir, name: model.name, ...(model.version !== undefined ? { version: model.version } : {}) };
}

/** The command's work, with the AWS clients injectable (tests point them at local doubles). */
export async function runSageMakerDeploy(
  values: SageMakerDeployFlags,
  out: (line: string) => void,
  connection: { clients?: AwsClients; pollIntervalMs?: number; now?: () => Date } = {},
): Promise<SageMakerDeployOutcome> {
  const endpoint = values.endpoint?.trim();
  if (!endpoint) throw new UserError("--endpoint NAME is required (see 'rookery deploy sagemaker --help')", { exitCode: 2 });
  const traffic = (values.traffic ?? DEPLOY_DEFAULTS.traffic) as TrafficMode;
  if (!TRAFFIC_MODES.includes(traffic)) throw new UserError(`--traffic ${JSON.stringify(values.traffic)} is not one of ${TRAFFIC_MODES.join(', ')}`, { exitCode: 2 });
  const stepPercent = values.step === undefined ? undefined : numberFlag('step', values.step, 0, { integer: true, min: 1, max: 50 });
  const bakeSeconds = numberFlag('bake', values.bake, DEPLOY_DEFAULTS.bake, { integer: true, min: 0, max: 3600 });
  const terminationWaitSeconds = numberFlag('termination-wait', values['termination-wait'], DEPLOY_DEFAULTS.terminationWait, { integer: true, min: 0, max: 3600 });
  const timeoutMinutes = values.timeout === undefined ? undefined : numberFlag('timeout', values.timeout, 0, { integer: true, min: 10, max: 480 });
  const pollSeconds = numberFlag('poll', values.poll, DEPLOY_DEFAULTS.poll, { min: 0.01, max: 300 });
  if (values.artifacts !== undefined && !values.artifacts.startsWith('s3://')) throw new UserError(`--artifacts ${JSON.stringify(values.artifacts)} must be an s3://bucket/prefix location`, { exitCode: 2 });

  const model = await resolveDeployModel(values.model ?? DEFAULT_MODEL_REF);
  // Loaded here, not at the top: the AWS SDK would slow every other command's start.
  const [{ deployToSageMaker }, { awsClients }] = await Promise.all([import('../aws/deploy.ts'), import('../aws/clients.ts')]);
  return deployToSageMaker(connection.clients ?? awsClients(values.region), {
    endpoint,
    model,
    traffic,
    ...(stepPercent !== undefined ? { stepPercent } : {}),
    bakeSeconds,
    terminationWaitSeconds,
    ...(timeoutMinutes !== undefined ? { maxExecutionSeconds: timeoutMinutes * 60 } : {}),
    ...(values.alarm?.length ? { alarms: values.alarm } : {}),
    ...(values.artifacts ? { artifactsUri: values.artifacts } : {}),
    pollIntervalMs: connection.pollIntervalMs ?? pollSeconds * 1000,
    ...(connection.now ? { now: connection.now } : {}),
    out,
  });
}

export const sagemakerDeployCommand = defineCommand({
  name: 'deploy sagemaker',
  summary: 'Roll a new model onto a SageMaker endpoint (blue/green with automatic rollback on its alarms)',
  about: `
Packs the model as model.tar.gz, uploads it next to the endpoint's Data Capture
files (models/ in the same bucket), creates a SageMaker model and endpoint
configuration copied from the ones the endpoint runs (image, role, environment,
instance type and count, Data Capture), and updates the endpoint with
SageMaker's deployment guardrails: a blue/green update that shifts traffic in
steps, bakes after each while watching the rollback alarms, and rolls back by
itself if one fires. Waits, showing each stage, until the endpoint is in
service on the new model (exit 0) or back on the old one (exit 1).`,
  notes: `
Credentials come from the standard AWS chain (AWS_PROFILE, \`aws sso login\`, environment,
instance role). A later \`cdk deploy EndpointStack\` puts the stack's own model back.`,
  options: {
    endpoint: { type: 'string', value: 'NAME', required: true, description: 'the endpoint (`cdk deploy EndpointStack` prints it as EndpointName)' },
    model: {
      type: 'string',
      value: 'MODEL',
      description: 'the model to deploy\nmodels:/NAME@ALIAS, models:/NAME/VERSION or a model directory; references resolve\nin MLflow when MLFLOW_TRACKING_URI is set, else in the local registry (ROOKERY_REGISTRY)',
      default: DEFAULT_MODEL_REF,
    },
    region: { type: 'string', value: 'R', description: "default: AWS_REGION, then your AWS profile's region" },
    traffic: {
      type: 'string',
      value: TRAFFIC_MODES.join('|'),
      description: [
        'how traffic moves to the new fleet',
        'auto: canary with 2+ instances, else all-at-once;',
        'canary: one step (--step % of the fleet, default 1 instance), bake, then the rest;',
        'linear: steps of --step % (10-50, default 25), baking after each;',
        'all-at-once: everything at once, then bake',
      ].join('\n'),
      default: DEPLOY_DEFAULTS.traffic,
    },
    step: { type: 'string', value: 'PCT', description: 'the share of the fleet per step for canary and linear (see --traffic)' },
    bake: { type: 'string', value: 'S', description: 'baking period after each step, 0-3600 s', default: DEPLOY_DEFAULTS.bake },
    'termination-wait': { type: 'string', value: 'S', description: 'keep the old fleet this long after the last step', default: DEPLOY_DEFAULTS.terminationWait },
    timeout: { type: 'string', value: 'MIN', description: "SageMaker's limit for the whole update, 10-480 (default: from the steps)" },
    alarm: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: "rollback alarm (repeatable); default: the alarms of the endpoint's last\ndeployment, which EndpointStack sets to its 5xx-error and latency alarms",
    },
    artifacts: { type: 'string', value: 's3://B/P', description: 'where model.tar.gz goes (default: s3://<Data Capture bucket>/models)' },
    poll: { type: 'string', value: 'S', description: 'seconds between progress checks', default: DEPLOY_DEFAULTS.poll },
  },
  async run({ values, out }) {
    const outcome = await runSageMakerDeploy(values, out);
    return outcome.status === 'deployed' ? 0 : 1;
  },
});
