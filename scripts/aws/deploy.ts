/**
 * `rookery deploy sagemaker`: a new model version onto a running endpoint
 * with SageMaker's deployment guardrails.
 *
 * The endpoint's current model and configuration are the template: the new
 * model keeps the image, execution role, environment and network isolation;
 * the new configuration keeps the variant (name, instance type, today's
 * instance count), Data Capture and the volume key. Only the artifact
 * changes: the model directory is packed as model.tar.gz (the same archive
 * `cdk deploy` builds) and uploaded next to the captures under models/.
 * UpdateEndpoint then runs a blue/green update, canary or linear traffic
 * shifting with baking periods, that SageMaker rolls back by itself when one
 * of the rollback alarms fires. This module waits, printing each change,
 * until the endpoint is in service on the new configuration or back on the
 * old one.
 */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  UpdateEndpointCommand,
  type DescribeEndpointCommandOutput,
  type DescribeEndpointConfigCommandOutput,
  type DescribeModelCommandOutput,
  type ProductionVariant,
  type SageMakerClient,
  type TrafficRoutingConfig,
} from '@aws-sdk/client-sagemaker';
import { buildModelArchive } from '../../model/archive.ts';
import { MODEL_HASH_TAG } from '../../model/content-hash.ts';
import { UserError } from '../../model/user-error.ts';
import { S3BlobStore } from '../store/s3-store.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './credentials.ts';
import { parseS3Uri } from '../../cloud/s3-location.ts';

export type { AwsClients };

/** How traffic moves to the new fleet. */
export type TrafficMode = 'auto' | 'all-at-once' | 'canary' | 'linear';

export interface DeployModel {
  dir: string;
  name: string;
  version?: number;
}

export interface SageMakerDeployRequest {
  endpoint: string;
  model: DeployModel;
  traffic: TrafficMode;
  /** Canary size or linear step, as a percentage of the fleet; default: one instance (canary) or 25% (linear). */
  stepPercent?: number;
  /** Baking period after each traffic step, while the alarms are watched. */
  bakeSeconds: number;
  /** How long the old fleet stays after the last step. */
  terminationWaitSeconds: number;
  /** SageMaker's limit for the whole update (600 to 28800 s); default from the steps and baking periods. */
  maxExecutionSeconds?: number;
  /** Rollback alarms; default: those of the endpoint's last deployment (EndpointStack sets them). */
  alarms?: string[];
  /** `s3://bucket/prefix` for model.tar.gz files; default: models/ in the bucket Data Capture writes to. */
  artifactsUri?: string;
  pollIntervalMs?: number;
  now?: () => Date;
  out: (line: string) => void;
}

export type SageMakerDeployOutcome =
  | { status: 'deployed'; endpointConfig: string; model: string; previousConfig: string; modelDataUrl: string }
  | { status: 'rolled-back' | 'failed'; endpointConfig: string; previousConfig: string; reason: string };

const POLL_MS = 30_000;
/** Provisioning the new fleet (image pull, model download, health checks) on top of the waits. */
const PROVISIONING_SECONDS = 1800;

/** Names of models and configurations this command creates: `<endpoint>-r<yyyymmddhhmmss>`. */
export function rolloutName(endpoint: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${endpoint.slice(0, 63 - 16)}-r${stamp}`;
}

function isRolloutName(endpoint: string, name: string): boolean {
  return name.startsWith(`${endpoint.slice(0, 63 - 16)}-r`) && /-r\d{14}$/.test(name);
}

/** SageMaker's traffic routing for the mode and fleet size; the checks are SageMaker's own limits, caught before any call. */
export function trafficRouting(mode: TrafficMode, instances: number, bakeSeconds: number, stepPercent?: number): { routing: TrafficRoutingConfig; steps: number; label: string } {
  const resolved = mode === 'auto' ? (instances >= 2 ? 'canary' : 'all-at-once') : mode;
  if (resolved !== 'all-at-once' && instances < 2) {
    throw new UserError(`--traffic ${resolved} needs at least 2 instances (SageMaker's canary and linear steps are at most half the fleet); this endpoint runs ${instances}: use --traffic all-at-once, which still bakes and rolls back`, { exitCode: 2 });
  }
  if (resolved === 'all-at-once') {
    return { routing: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: bakeSeconds }, steps: 1, label: `all traffic at once, then ${bakeSeconds} s baking` };
  }
  if (resolved === 'canary') {
    if (stepPercent !== undefined && (stepPercent < 1 || stepPercent > 50)) throw new UserError(`--step ${stepPercent} must be 1 to 50 (% of the fleet) for a canary`, { exitCode: 2 });
    const size = stepPercent === undefined ? { Type: 'INSTANCE_COUNT' as const, Value: 1 } : { Type: 'CAPACITY_PERCENT' as const, Value: stepPercent };
    const what = stepPercent === undefined ? '1 instance' : `${stepPercent}%`;
    return { routing: { Type: 'CANARY', CanarySize: size, WaitIntervalInSeconds: bakeSeconds }, steps: 2, label: `canary of ${what}, ${bakeSeconds} s baking, then the rest` };
  }
  const step = stepPercent ?? 25;
  if (step < 10 || step > 50) throw new UserError(`--step ${step} must be 10 to 50 (% of the fleet) for linear shifting`, { exitCode: 2 });
  return {
    routing: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: step }, WaitIntervalInSeconds: bakeSeconds },
    steps: Math.ceil(100 / step),
    label: `linear steps of ${step}%, ${bakeSeconds} s baking each`,
  };
}

function elapsed(start: number, now: number): string {
  const s = Math.max(0, Math.round((now - start) / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A one-line account of the update's progress: the endpoint status and each fleet's stage, weight and size. */
function progress(described: DescribeEndpointCommandOutput): string {
  const pending = described.PendingDeploymentSummary;
  const parts = [described.EndpointStatus ?? 'unknown'];
  for (const v of pending?.ProductionVariants ?? []) {
    const stages = (v.VariantStatus ?? []).map((s) => s.Status + (s.StatusMessage ? ` (${s.StatusMessage})` : '')).join(', ');
    const weight = v.CurrentWeight === undefined ? '' : ` weight ${v.CurrentWeight}${v.DesiredWeight === undefined ? '' : `→${v.DesiredWeight}`}`;
    const count = v.CurrentInstanceCount === undefined ? '' : ` ${v.CurrentInstanceCount}${v.DesiredInstanceCount === undefined ? '' : `/${v.DesiredInstanceCount}`} instances`;
    parts.push(`new fleet ${v.VariantName}: ${stages || 'pending'}${weight}${count}`);
  }
  return parts.join('; ');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The endpoint as it runs now: what the new model and configuration copy. */
export interface RunningEndpoint {
  before: DescribeEndpointCommandOutput;
  previousConfig: string;
  config: DescribeEndpointConfigCommandOutput;
  variant: ProductionVariant;
  current: DescribeModelCommandOutput;
  instances: number;
}

export async function deployToSageMaker(clients: AwsClients, request: SageMakerDeployRequest): Promise<SageMakerDeployOutcome> {
  const { sagemaker } = clients;
  const { endpoint, out } = request;
  const now = request.now ?? (() => new Date());
  const describeEndpoint = () => awsCall(`SageMaker endpoint ${endpoint}`, () => sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint })));

  const running = await readRunningEndpoint(sagemaker, endpoint, describeEndpoint);
  const { before, previousConfig, variant, instances } = running;
  out(`${endpoint} serves ${previousConfig} (model ${variant.ModelName}, ${instances} × ${variant.InstanceType ?? 'serverless'})`);
  const plan = await planRollout(clients, request, running);
  const uploaded = await uploadModel(clients, request, running);

  const name = rolloutName(endpoint, now());
  await createRollout(sagemaker, name, running, uploaded);
  out(`created model and endpoint configuration ${name}`);
  out(`updating ${endpoint}: blue/green, ${plan.label}; rolls back if ${plan.alarms.join(' or ')} fires (limit ${Math.round(plan.maxExecution / 60)} min)`);
  await startBlueGreenUpdate(sagemaker, endpoint, name, request.terminationWaitSeconds, plan).catch(async (err: unknown) => {
    // The endpoint never saw the new configuration: what this run created would otherwise be left behind.
    await cleanUp(sagemaker, name, name, out);
    throw err;
  });

  const outcome = await waitForUpdate(describeEndpoint, {
    endpoint,
    newConfig: name,
    previousConfig,
    priorFailure: before.FailureReason,
    pollIntervalMs: request.pollIntervalMs ?? POLL_MS,
    // SageMaker gives up after maxExecution; a little longer here so its verdict, not ours, ends the wait.
    deadlineMs: (plan.maxExecution + 600) * 1000,
    out,
  });

  if (outcome.status === 'deployed') {
    out(`deployed ${uploaded.label}: ${endpoint} is InService on ${name}`);
    if (isRolloutName(endpoint, previousConfig) && isRolloutName(endpoint, variant.ModelName!)) await cleanUp(sagemaker, previousConfig, variant.ModelName!, out);
    return { status: 'deployed', endpointConfig: name, model: name, previousConfig, modelDataUrl: uploaded.modelDataUrl };
  }
  out(`${outcome.status === 'rolled-back' ? 'rolled back' : 'failed'}: ${outcome.reason}; ${endpoint} still serves ${previousConfig}`);
  await cleanUp(sagemaker, name, name, out);
  return { status: outcome.status, endpointConfig: name, previousConfig, reason: outcome.reason };
}

/** The InService endpoint, its one production variant and the model behind it; anything else is a one-line UserError. */
export async function readRunningEndpoint(sagemaker: SageMakerClient, endpoint: string, describeEndpoint: () => Promise<DescribeEndpointCommandOutput>): Promise<RunningEndpoint> {
  const before = await describeEndpoint().catch((err: unknown) => {
    if ((err as Error).name === 'ValidationException' && /could not find|not found/i.test((err as Error).message)) {
      throw new UserError(`SageMaker endpoint ${endpoint} does not exist in this region: deploy EndpointStack first (\`npx cdk deploy EndpointStack\`), or check --endpoint and --region`);
    }
    throw err;
  });
  if (before.EndpointStatus !== 'InService') {
    throw new UserError(`SageMaker endpoint ${endpoint} is ${before.EndpointStatus}, not InService: wait for the update in progress to finish (\`aws sagemaker describe-endpoint --endpoint-name ${endpoint}\`) and deploy again`);
  }
  const previousConfig = before.EndpointConfigName!;
  const config = await awsCall(`endpoint configuration ${previousConfig}`, () => sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: previousConfig })));
  const variants = config.ProductionVariants ?? [];
  if (variants.length !== 1 || !variants[0].ModelName) {
    throw new UserError(`${endpoint} has ${variants.length} production variants; rookery deploys to single-variant endpoints such as EndpointStack's`);
  }
  const variant = variants[0];
  const current = await awsCall(`model ${variant.ModelName}`, () => sagemaker.send(new DescribeModelCommand({ ModelName: variant.ModelName })));
  if (!current.PrimaryContainer?.Image || !current.ExecutionRoleArn) {
    throw new UserError(`model ${variant.ModelName} behind ${endpoint} has no primary container image or execution role to reuse`);
  }
  const live = before.ProductionVariants?.find((v) => v.VariantName === variant.VariantName);
  const instances = live?.DesiredInstanceCount ?? live?.CurrentInstanceCount ?? variant.InitialInstanceCount ?? 1;
  return { before, previousConfig, config, variant, current, instances };
}

interface RolloutPlan {
  alarms: string[];
  routing: TrafficRoutingConfig;
  label: string;
  maxExecution: number;
}

/** The rollback alarms (checked quiet), the traffic shifting and SageMaker's time limit. */
async function planRollout(clients: AwsClients, request: SageMakerDeployRequest, running: RunningEndpoint): Promise<RolloutPlan> {
  const { endpoint } = request;
  const alarms = request.alarms?.length ? request.alarms : (running.before.LastDeploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).flatMap((a) => (a.AlarmName ? [a.AlarmName] : []));
  if (!alarms.length) {
    throw new UserError(`${endpoint}'s last deployment named no rollback alarms: pass --alarm NAME (EndpointStack creates ${endpoint}-5xx-errors and ${endpoint}-model-latency)`, { exitCode: 2 });
  }
  if (clients.cloudwatch) await checkAlarms(clients.cloudwatch, alarms);
  const { routing, steps, label } = trafficRouting(request.traffic, running.instances, request.bakeSeconds, request.stepPercent);
  const maxExecution =
    request.maxExecutionSeconds ?? Math.min(28_800, Math.max(600, PROVISIONING_SECONDS + steps * request.bakeSeconds + request.terminationWaitSeconds));
  if (maxExecution < 600 || maxExecution > 28_800) throw new UserError(`--timeout ${maxExecution / 60} minutes is outside SageMaker's 10 to 480`, { exitCode: 2 });
  return { alarms, routing, label, maxExecution };
}

export interface UploadedModel {
  label: string;
  modelDataUrl: string;
  sha256: string;
}

/** Packs the model as model.tar.gz and puts it next to the endpoint's Data Capture (or under --artifacts), keyed by content. */
export async function uploadModel(clients: AwsClients, request: Pick<SageMakerDeployRequest, 'endpoint' | 'model' | 'artifactsUri' | 'out'>, running: RunningEndpoint): Promise<UploadedModel> {
  const capture = running.config.DataCaptureConfig;
  const artifactsUri = request.artifactsUri ?? (capture?.DestinationS3Uri ? `s3://${parseS3Uri(capture.DestinationS3Uri).bucket}/models` : undefined);
  if (!artifactsUri) throw new UserError(`${request.endpoint} has no Data Capture bucket to put the model next to: pass --artifacts s3://bucket/prefix`, { exitCode: 2 });
  const { model } = request;
  const archive = buildModelArchive(model.dir);
  const label = model.version === undefined ? model.name : `${model.name}/${model.version}`;
  const key = `${model.name}/${model.version ?? 'dir'}-${archive.sha256.slice(0, 12)}/model.tar.gz`;
  const store = new S3BlobStore(artifactsUri, { client: clients.s3, ...(capture?.KmsKeyId ? { kmsKeyId: capture.KmsKeyId } : {}) });
  const modelDataUrl = `s3://${store.bucket}/${store.prefix}${key}`;
  request.out(`uploading ${label} (${(archive.body.length / 1024).toFixed(1)} KiB) to ${modelDataUrl}`);
  await store.write(key, archive.body);
  return { label, modelDataUrl, sha256: archive.sha256 };
}

/** A SageMaker model named `name` with the running model's image, role, environment and network settings and the uploaded model data; returns its tags. */
export async function createModelLike(sagemaker: SageMakerClient, name: string, current: DescribeModelCommandOutput, uploaded: UploadedModel): Promise<{ Key: string; Value: string }[]> {
  const container = current.PrimaryContainer!;
  const tags = [
    { Key: 'rookery:model', Value: uploaded.label },
    { Key: MODEL_HASH_TAG, Value: uploaded.sha256 },
  ];
  await awsCall(`creating model ${name}`, () =>
    sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        ExecutionRoleArn: current.ExecutionRoleArn,
        PrimaryContainer: {
          Image: container.Image,
          ...(container.Mode ? { Mode: container.Mode } : {}),
          ...(container.Environment ? { Environment: container.Environment } : {}),
          ModelDataUrl: uploaded.modelDataUrl,
        },
        ...(current.EnableNetworkIsolation !== undefined ? { EnableNetworkIsolation: current.EnableNetworkIsolation } : {}),
        ...(current.VpcConfig ? { VpcConfig: current.VpcConfig } : {}),
        Tags: tags,
      }),
    ),
  );
  return tags;
}

/** A model and endpoint configuration named `name`, copied from the running ones with the new model data. */
async function createRollout(sagemaker: SageMakerClient, name: string, running: RunningEndpoint, uploaded: UploadedModel): Promise<void> {
  const { config, variant, instances } = running;
  const tags = await createModelLike(sagemaker, name, running.current, uploaded);
  const newVariant: ProductionVariant = { ...variant, ModelName: name, InitialInstanceCount: instances };
  await awsCall(`creating endpoint configuration ${name}`, () =>
    sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [newVariant],
        ...(config.DataCaptureConfig ? { DataCaptureConfig: config.DataCaptureConfig } : {}),
        ...(config.KmsKeyId ? { KmsKeyId: config.KmsKeyId } : {}),
        Tags: tags,
      }),
    ),
  );
}

/** Points the endpoint at the new configuration through a blue/green update that the alarms roll back. */
async function startBlueGreenUpdate(sagemaker: SageMakerClient, endpoint: string, config: string, terminationWaitSeconds: number, plan: RolloutPlan): Promise<void> {
  await awsCall(`updating SageMaker endpoint ${endpoint}`, () =>
    sagemaker.send(
      new UpdateEndpointCommand({
        EndpointName: endpoint,
        EndpointConfigName: config,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: plan.routing,
            TerminationWaitInSeconds: terminationWaitSeconds,
            MaximumExecutionTimeoutInSeconds: plan.maxExecution,
          },
          AutoRollbackConfiguration: { Alarms: plan.alarms.map((AlarmName) => ({ AlarmName })) },
        },
      }),
    ),
  );
}

/** Refuses to start an update the alarms would roll back at once, or name alarms that do not exist. */
async function checkAlarms(cloudwatch: CloudWatchClient, alarms: string[]): Promise<void> {
  const found = await awsCall('CloudWatch alarms', () => cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarms })));
  const byName = new Map((found.MetricAlarms ?? []).map((a) => [a.AlarmName, a]));
  const missing = alarms.filter((a) => !byName.has(a));
  if (missing.length) throw new UserError(`rollback alarm ${missing.join(', ')} does not exist in this account and region; check --alarm`, { exitCode: 2 });
  const firing = alarms.filter((a) => byName.get(a)?.StateValue === 'ALARM');
  if (firing.length) {
    throw new UserError(`rollback alarm ${firing.join(', ')} is in ALARM now, so SageMaker would roll the update back at once: fix what it reports (or wait for it to clear) and deploy again`);
  }
}

interface WaitOptions {
  endpoint: string;
  newConfig: string;
  previousConfig: string;
  priorFailure?: string;
  pollIntervalMs: number;
  deadlineMs: number;
  out: (line: string) => void;
}

async function waitForUpdate(
  describe: () => Promise<DescribeEndpointCommandOutput>,
  options: WaitOptions,
): Promise<{ status: 'deployed' } | { status: 'rolled-back' | 'failed'; reason: string }> {
  const start = Date.now();
  let last = '';
  let updating = false;
  for (;;) {
    const d = await describe();
    const line = progress(d);
    if (line !== last) {
      options.out(`[${elapsed(start, Date.now())}] ${line}`);
      last = line;
    }
    const status = d.EndpointStatus;
    if (status === 'InService') {
      if (d.EndpointConfigName === options.newConfig) return { status: 'deployed' };
      // Back in service on the old configuration after the update began (or with a new failure reason): SageMaker rolled it back.
      if (updating || (d.FailureReason && d.FailureReason !== options.priorFailure)) {
        return { status: 'rolled-back', reason: d.FailureReason ?? 'SageMaker returned the endpoint to its previous configuration' };
      }
    } else if (status === 'Failed') {
      return { status: 'failed', reason: d.FailureReason ?? 'the endpoint failed' };
    } else if (status === 'UpdateRollbackFailed') {
      throw new UserError(
        `${options.endpoint}: the update and its rollback both failed (${d.FailureReason ?? 'no reason given'}); the endpoint serves a mix of ${options.previousConfig} and ${options.newConfig}. See https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-rolling.html`,
      );
    } else {
      updating = true;
    }
    if (Date.now() - start > options.deadlineMs) {
      throw new UserError(`${options.endpoint} is still ${status} after ${Math.round((Date.now() - start) / 60_000)} minutes; SageMaker keeps going: watch it with \`aws sagemaker describe-endpoint --endpoint-name ${options.endpoint}\``);
    }
    await sleep(options.pollIntervalMs);
  }
}

/** Deletes a configuration and model this command made and no longer serves; failures are reported, not fatal. */
async function cleanUp(sagemaker: SageMakerClient, configName: string, modelName: string, out: (line: string) => void): Promise<void> {
  try {
    await sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: configName }));
    await sagemaker.send(new DeleteModelCommand({ ModelName: modelName }));
    out(`removed unused model and endpoint configuration ${configName}`);
  } catch (err) {
    out(`could not remove unused ${configName} (${(err as Error).name}: ${(err as Error).message.split('\n')[0]}); delete it in the SageMaker console if you like`);
  }
}
