/**
 * The CDK app's settings: every `-c key=value` (or cdk.json context) the app
 * takes, read and checked once by stacks/app.ts and handed to the stacks as
 * plain values. No stack or construct reads context itself. Values from the
 * command line arrive as strings, values from cdk.json may be JSON booleans
 * and numbers; both are accepted. Every default is here.
 */
import { DEFAULT_ENDPOINT_NAME } from '../cloud/sagemaker.ts';
import type { Node } from 'constructs';
import { DEFAULT_ACCURACY_THRESHOLD, DEFAULT_ALIAS, DEFAULT_MODEL_NAME } from '../model/defaults.ts';
import { UserError } from '../model/user-error.ts';
import { parseS3Uri } from '../cloud/s3-location.ts';

/** Settings more than one stack reads (MlflowStack's, and retainData). */
export interface RookeryContext {
  /** Keep the artifact bucket (and snapshot the database) on `cdk destroy` (`retainData`). */
  readonly retainData: boolean;
  /** EC2 instance type of the MLflow server (`mlflowInstanceType`). */
  readonly mlflowInstanceType: string;
  /**
   * Opens MLflow's HTTPS port to this IPv4 range, /16 or narrower (`mlflowAllowedCidr`).
   * @default no inbound rule at all
   */
  readonly mlflowAllowedCidr?: string;
  /**
   * Existing VPC for the server (`vpcId`; looked up, so it needs an account and region).
   * @default a new VPC
   */
  readonly vpcId?: string;
  /** Where MLflow keeps runs and the registry (`mlflowBackend`). */
  readonly mlflowBackend: 'sqlite' | 'postgres';
  /** One-minute CloudWatch metrics for the instance (`mlflowDetailedMonitoring`, billed). */
  readonly mlflowDetailedMonitoring: boolean;
}

/** EndpointStack's settings. Keys that could mean something to another stack carry an `endpoint` prefix. */
export interface EndpointConfig {
  /** The SageMaker endpoint's name (`endpointName`); PipelineStack reads the same key. */
  readonly endpointName: string;
  /**
   * What to serve (`model`): a registry reference or a model directory.
   * @default the registry's penguins@champion
   */
  readonly model?: string;
  /** ML instance type (`endpointInstanceType`). */
  readonly instanceType: string;
  /** Instances the endpoint starts with (`endpointInstanceCount`). */
  readonly instanceCount: number;
  /** Autoscaling floor (`endpointMinInstances`); equal to maxInstances turns autoscaling off. */
  readonly minInstances: number;
  /** Autoscaling ceiling (`endpointMaxInstances`). */
  readonly maxInstances: number;
  /** Target of the scaling policy: invocations per instance per minute (`endpointInvocationsPerInstance`). */
  readonly invocationsPerInstance: number;
  /** Share of requests Data Capture records (`captureSamplingPercentage`). */
  readonly samplingPercentage: number;
  /** Model latency (milliseconds, average over a minute) above which the latency alarm fires (`latencyAlarmMs`). */
  readonly latencyAlarmMs: number;
  /** 5xx answers in a minute at or above which the error alarm fires (`errorAlarmCount`). */
  readonly errorAlarmCount: number;
  /** Baking period of a stack-driven blue/green update before the old fleet goes (`bakeSeconds`). */
  readonly bakeSeconds: number;
}

/** CPU, memory and time limit of one Batch job. */
export interface JobResources {
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly timeoutMinutes: number;
}

/** PipelineStack's settings. */
export interface PipelineConfig {
  /**
   * EventBridge schedule expression that starts the pipeline (`trainingSchedule`).
   * @default no schedule
   */
  readonly trainingSchedule?: string;
  /**
   * Scheduled SageMaker Batch Transform scoring of an S3 prefix with the endpoint's model (`batchScoring` schedule, `batchInput` prefix).
   * @default no batch scoring
   */
  readonly batchScoring?: { readonly schedule: string; readonly inputUri: string };
  /** Scheduled monitoring job, drift metrics and alarm (`enableMonitoring`). */
  readonly enableMonitoring: boolean;
  /** When the monitoring job runs (`monitoringSchedule`). */
  readonly monitoringSchedule: string;
  /** The drift alarm starts the pipeline (`retrainOnDrift`; on with monitoring unless set to false). */
  readonly retrainOnDrift: boolean;
  /** Fargate Spot instead of on-demand Fargate (`batchSpot`). */
  readonly spot: boolean;
  /** Ceiling for the compute environment (`batchMaxvCpus`). */
  readonly maxvCpus: number;
  readonly training: JobResources;
  readonly monitoring: JobResources;
  /** Registration and deployment are API calls: the smallest Fargate size is plenty. */
  readonly step: JobResources;
  /** Used when an execution's input does not say (`accuracyThreshold`). */
  readonly accuracyThreshold: number;
  /** The registered model the pipeline trains (`modelName`). */
  readonly modelName: string;
  /** The alias a registered version moves (`modelAlias`). */
  readonly alias: string;
  /** Whole-execution limit (`pipelineTimeoutMinutes`). */
  readonly pipelineTimeoutMinutes: number;
  /** Retention of every log group the stack creates (`logRetentionDays`). */
  readonly logRetentionDays: number;
  /**
   * MLflow when PipelineStack is deployed without MlflowStack in the same app (`mlflowTrackingUri`).
   * @default none: MlflowStack's connection is required
   */
  readonly mlflowTrackingUri?: string;
  /**
   * The secret holding MLflow's password, with mlflowTrackingUri (`mlflowSecretArn`).
   * @default none: MlflowStack's connection is required
   */
  readonly mlflowSecretArn?: string;
  /**
   * JSON field of that secret holding the password (`mlflowSecretField`).
   * @default the secret is the bare password, as MlflowStack's is
   */
  readonly mlflowSecretField?: string;
  /** MLflow user name of the jobs (`mlflowUsername`). */
  readonly mlflowUsername: string;
  /**
   * The endpoint the pipeline deploys to without EndpointStack in the app (`endpointName`).
   * @default EndpointStack's default name
   */
  readonly endpointName?: string;
  /**
   * `s3://bucket/prefix` of the endpoint's Data Capture files without EndpointStack in the app (`captureUri`).
   * @default none
   */
  readonly captureUri?: string;
  /**
   * `s3://bucket/prefix` of the labels written by `rookery label` without EndpointStack in the app (`groundTruthUri`).
   * @default none
   */
  readonly groundTruthUri?: string;
}

/** CicdStack's settings: who may assume its roles. */
export interface GithubConfig {
  /** `OWNER/NAME` (`githubRepository`), exactly as GitHub spells it. */
  readonly repository: string;
  /** The GitHub environment of the deploy jobs (`githubEnvironment`). */
  readonly environment: string;
  /** The branch of the scheduled and manual training and monitoring runs (`githubBranch`). */
  readonly branch: string;
}

/** Everything the app's stacks are configured with. */
export interface AppConfig {
  readonly context: RookeryContext;
  readonly endpoint: EndpointConfig;
  readonly pipeline: PipelineConfig;
  /**
   * Keyless access for GitHub Actions (CicdStack).
   * @default none: no `-c githubRepository`, no CicdStack
   */
  readonly github?: GithubConfig;
}

export const CONTEXT_DEFAULTS = {
  retainData: false,
  mlflowInstanceType: 't3.small',
  mlflowBackend: 'sqlite',
  mlflowDetailedMonitoring: false,
} as const satisfies Partial<RookeryContext>;

export const ENDPOINT_DEFAULTS = {
  endpointName: DEFAULT_ENDPOINT_NAME,
  instanceType: 'ml.m5.large',
  instanceCount: 1,
  maxInstances: 2,
  invocationsPerInstance: 600,
  samplingPercentage: 100,
  latencyAlarmMs: 500,
  errorAlarmCount: 1,
  bakeSeconds: 300,
} as const;

export const GITHUB_DEFAULTS = { environment: 'production', branch: 'main' } as const;

/** Reads and checks all of the app's context; throws a UserError naming the first bad value. */
export function readAppConfig(node: Node): AppConfig {
  const github = readGithubConfig(node);
  return { context: readContext(node), endpoint: readEndpointConfig(node), pipeline: readPipelineConfig(node), ...(github ? { github } : {}) };
}

/**
 * Stacks stay environment-agnostic (synth needs no credentials) unless a
 * lookup needs a concrete account and region: `-c vpcId=...` does.
 */
export function stackEnv(ctx: RookeryContext, env: NodeJS.ProcessEnv): { account: string; region: string } | undefined {
  if (!ctx.vpcId) return undefined;
  const account = env.CDK_DEFAULT_ACCOUNT;
  const region = env.CDK_DEFAULT_REGION;
  if (!account || !region) {
    throw contextError('vpcId', ctx.vpcId, 'looking up an existing VPC needs AWS credentials and a region (AWS_PROFILE / AWS_REGION); leave vpcId unset to create a new VPC');
  }
  return { account, region };
}

// ---- RookeryContext and EndpointConfig: `-c key=value is not valid: ...` ----

/** A bad `-c` value: says which key, what it got and what it takes. */
function contextError(key: string, value: unknown, expected: string): UserError {
  return new UserError(`-c ${key}=${typeof value === 'string' ? value : JSON.stringify(value)} is not valid: ${expected}`);
}

function read(node: Node, key: string): unknown {
  const raw: unknown = node.tryGetContext(key);
  return raw === '' || raw === null ? undefined : raw;
}

function readBoolean(node: Node, key: string, fallback: boolean): boolean {
  const raw = read(node, key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw contextError(key, raw, 'use true or false');
}

function readString(node: Node, key: string): string | undefined {
  const raw = read(node, key);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw contextError(key, raw, 'expected a string');
  return raw.trim();
}

function readInteger(node: Node, key: string, fallback: number, min: number, max: number): number {
  const raw = read(node, key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw contextError(key, raw, `expected a whole number from ${min} to ${max}`);
  return value;
}

// e.g. t3.small, m7g.large, c6in.2xlarge, u-6tb1.metal
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/**
 * The widest `mlflowAllowedCidr` accepted: a /16 (65,536 addresses, an office
 * or a VPN's range). Anything wider opens the server to a slice of the internet.
 */
export const MAX_ALLOWED_CIDR_PREFIX = 16;

const CIDR_FIX = `give your own address as a.b.c.d/32 (curl -s https://checkip.amazonaws.com) or a range of /${MAX_ALLOWED_CIDR_PREFIX} or narrower, or leave it unset and use \`rookery mlflow tunnel\``;

/**
 * An IPv4 CIDR no wider than /16: a.b.c.d/n with n from 16 to 32 and host bits
 * zero. IPv6 is refused: the server has no IPv6 address.
 */
export function checkCidr(key: string, value: string): string {
  if (value.includes(':')) throw contextError(key, value, `IPv6 ranges are not supported (the MLflow server has no IPv6 address); ${CIDR_FIX}`);
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix > 32) {
    throw contextError(key, value, 'expected an IPv4 range like 203.0.113.7/32 (your address: curl -s https://checkip.amazonaws.com)');
  }
  if (prefix < MAX_ALLOWED_CIDR_PREFIX) {
    const what = prefix === 0 ? 'the whole internet' : `${(2 ** (32 - prefix)).toLocaleString('en-US')} addresses`;
    throw contextError(key, value, `/${prefix} opens MLflow to ${what}, wider than the /${MAX_ALLOWED_CIDR_PREFIX} bound; ${CIDR_FIX}`);
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0) {
    const network = address - (address % hostBits);
    const base = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
    throw contextError(key, value, `host bits are set; did you mean ${base}/${prefix}?`);
  }
  return value;
}

function readContext(node: Node): RookeryContext {
  const instanceType = readString(node, 'mlflowInstanceType') ?? CONTEXT_DEFAULTS.mlflowInstanceType;
  if (!INSTANCE_TYPE.test(instanceType)) throw contextError('mlflowInstanceType', instanceType, 'expected an EC2 instance type like t3.small');

  const backend = readString(node, 'mlflowBackend') ?? CONTEXT_DEFAULTS.mlflowBackend;
  if (backend !== 'sqlite' && backend !== 'postgres') throw contextError('mlflowBackend', backend, 'use sqlite or postgres');

  const vpcId = readString(node, 'vpcId');
  if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) throw contextError('vpcId', vpcId, 'expected a VPC id like vpc-0abc1234def567890');

  const cidr = readString(node, 'mlflowAllowedCidr');
  return {
    retainData: readBoolean(node, 'retainData', CONTEXT_DEFAULTS.retainData),
    mlflowInstanceType: instanceType,
    ...(cidr !== undefined ? { mlflowAllowedCidr: checkCidr('mlflowAllowedCidr', cidr) } : {}),
    ...(vpcId !== undefined ? { vpcId } : {}),
    mlflowBackend: backend,
    mlflowDetailedMonitoring: readBoolean(node, 'mlflowDetailedMonitoring', CONTEXT_DEFAULTS.mlflowDetailedMonitoring),
  };
}

/**
 * Endpoint names leave room for the suffix `rookery deploy sagemaker` adds to
 * its model and configuration names (SageMaker allows 63 characters).
 */
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,39}$/;
const ML_INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;

function readEndpointConfig(node: Node): EndpointConfig {
  const endpointName = readString(node, 'endpointName') ?? ENDPOINT_DEFAULTS.endpointName;
  if (!ENDPOINT_NAME.test(endpointName)) {
    throw contextError('endpointName', endpointName, 'expected 1-40 letters, digits and hyphens, starting and ending with a letter or digit');
  }
  const instanceType = readString(node, 'endpointInstanceType') ?? ENDPOINT_DEFAULTS.instanceType;
  if (!ML_INSTANCE_TYPE.test(instanceType)) {
    throw contextError('endpointInstanceType', instanceType, 'expected a SageMaker instance type like ml.m5.large');
  }
  const instanceCount = readInteger(node, 'endpointInstanceCount', ENDPOINT_DEFAULTS.instanceCount, 1, 100);
  const minInstances = readInteger(node, 'endpointMinInstances', instanceCount, 1, 100);
  const maxInstances = readInteger(node, 'endpointMaxInstances', Math.max(minInstances, instanceCount, ENDPOINT_DEFAULTS.maxInstances), 1, 100);
  if (maxInstances < minInstances) {
    throw contextError('endpointMaxInstances', maxInstances, `must be at least endpointMinInstances (${minInstances})`);
  }
  if (instanceCount < minInstances || instanceCount > maxInstances) {
    throw contextError('endpointInstanceCount', instanceCount, `must lie between endpointMinInstances (${minInstances}) and endpointMaxInstances (${maxInstances})`);
  }
  const model = readString(node, 'model');
  return {
    endpointName,
    ...(model ? { model } : {}),
    instanceType,
    instanceCount,
    minInstances,
    maxInstances,
    invocationsPerInstance: readInteger(node, 'endpointInvocationsPerInstance', ENDPOINT_DEFAULTS.invocationsPerInstance, 1, 1_000_000),
    samplingPercentage: readInteger(node, 'captureSamplingPercentage', ENDPOINT_DEFAULTS.samplingPercentage, 0, 100),
    latencyAlarmMs: readInteger(node, 'latencyAlarmMs', ENDPOINT_DEFAULTS.latencyAlarmMs, 1, 60_000),
    errorAlarmCount: readInteger(node, 'errorAlarmCount', ENDPOINT_DEFAULTS.errorAlarmCount, 1, 1_000_000),
    bakeSeconds: readInteger(node, 'bakeSeconds', ENDPOINT_DEFAULTS.bakeSeconds, 0, 3600),
  };
}

// What GitHub allows in an owner and a repository name.
const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
// IAM compares the subject literally, so a `*` or `?` would match nothing but itself: refuse it rather than
// deploy a role nobody can assume. Git itself forbids them (and spaces and colons) in branch names.
const GITHUB_ENVIRONMENT = /^[^*?]{1,255}$/;
const GIT_BRANCH = /^[^\s*?:~^\\]+$/;

function readGithubConfig(node: Node): GithubConfig | undefined {
  const repository = readString(node, 'githubRepository');
  // githubEnvironment and githubBranch may sit in cdk.json for the day CicdStack is deployed; alone they add nothing.
  if (repository === undefined) return undefined;
  const environment = readString(node, 'githubEnvironment');
  const branch = readString(node, 'githubBranch');
  if (!GITHUB_REPOSITORY.test(repository)) throw contextError('githubRepository', repository, 'expected the GitHub repository as OWNER/NAME, e.g. -c githubRepository=octo-org/rookery');
  if (environment !== undefined && !GITHUB_ENVIRONMENT.test(environment)) throw contextError('githubEnvironment', environment, 'expected a GitHub environment name like production, without * or ?');
  if (branch !== undefined && !GIT_BRANCH.test(branch)) throw contextError('githubBranch', branch, 'expected one branch name like main (no wildcards: the role trusts exactly one branch)');
  return { repository, environment: environment ?? GITHUB_DEFAULTS.environment, branch: branch ?? GITHUB_DEFAULTS.branch };
}

// ---- PipelineConfig: `context key=... must be ...` ----

/** Fargate's allowed memory sizes per vCPU count: [vCPU, min MiB, max MiB, step MiB]. */
const FARGATE_SIZES: [number, number, number, number][] = [
  [0.25, 512, 2048, 512],
  [0.5, 1024, 4096, 1024],
  [1, 2048, 8192, 1024],
  [2, 4096, 16384, 1024],
  [4, 8192, 30720, 1024],
  [8, 16384, 61440, 4096],
  [16, 32768, 122880, 8192],
];

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const SCHEDULE = /^(rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(.+\))$/;

function pipelineString(node: Node, key: string): string | undefined {
  const v = read(node, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UserError(`context ${key}=${JSON.stringify(v)} must be a string`);
  return v.trim();
}

function pipelineBoolean(node: Node, key: string, fallback: boolean): boolean {
  const v = read(node, key);
  if (v === undefined) return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new UserError(`context ${key}=${JSON.stringify(v)} must be true or false`);
}

function pipelineNumber(node: Node, key: string, fallback: number, check: { min?: number; max?: number; integer?: boolean } = {}): number {
  const v = read(node, key);
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  const bad = (why: string) => new UserError(`context ${key}=${JSON.stringify(v)} ${why}`);
  if (typeof v === 'string' && v.trim() === '') throw bad('is not a number');
  if (!Number.isFinite(n)) throw bad('is not a number');
  if (check.integer && !Number.isInteger(n)) throw bad('must be a whole number');
  if (check.min !== undefined && n < check.min) throw bad(`must be at least ${check.min}`);
  if (check.max !== undefined && n > check.max) throw bad(`must be at most ${check.max}`);
  return n;
}

function pipelineSchedule(node: Node, key: string, fallback?: string): string | undefined {
  const v = pipelineString(node, key) ?? fallback;
  if (v !== undefined && !SCHEDULE.test(v)) {
    throw new UserError(`context ${key}=${JSON.stringify(v)} is not an EventBridge schedule; write e.g. "rate(7 days)" or "cron(0 3 ? * MON *)"`);
  }
  return v;
}

function pipelineS3Uri(node: Node, key: string): string | undefined {
  const v = pipelineString(node, key);
  if (v === undefined) return undefined;
  try {
    parseS3Uri(v);
  } catch (err) {
    throw new UserError(`context ${key}=${JSON.stringify(v)} must be an S3 URI like s3://bucket/prefix`, { cause: err });
  }
  return v;
}

function jobResources(node: Node, prefix: string, vcpus: number, memoryMiB: number, timeoutMinutes: number): JobResources {
  const resources = {
    vcpus: pipelineNumber(node, `${prefix}Vcpus`, vcpus, { min: 0.25 }),
    memoryMiB: pipelineNumber(node, `${prefix}MemoryMiB`, memoryMiB, { integer: true, min: 512 }),
    timeoutMinutes: pipelineNumber(node, `${prefix}TimeoutMinutes`, timeoutMinutes, { integer: true, min: 1, max: 24 * 60 }),
  };
  const size = FARGATE_SIZES.find(([v]) => v === resources.vcpus);
  if (!size) {
    throw new UserError(`context ${prefix}Vcpus=${resources.vcpus} is not a Fargate size; use one of ${FARGATE_SIZES.map(([v]) => v).join(', ')}`);
  }
  const [, min, max, step] = size;
  if (resources.memoryMiB < min || resources.memoryMiB > max || (resources.memoryMiB - min) % step !== 0) {
    throw new UserError(`context ${prefix}MemoryMiB=${resources.memoryMiB} does not fit ${resources.vcpus} vCPU on Fargate; use ${min} to ${max} in steps of ${step}`);
  }
  return resources;
}

/** The MLflow and endpoint of a PipelineStack deployed without the other stacks in the same app. */
function pipelineConnections(node: Node): Pick<PipelineConfig, 'mlflowTrackingUri' | 'mlflowSecretArn' | 'mlflowSecretField' | 'mlflowUsername' | 'endpointName' | 'captureUri' | 'groundTruthUri'> {
  const mlflowTrackingUri = pipelineString(node, 'mlflowTrackingUri');
  if (mlflowTrackingUri !== undefined && !/^https?:\/\/[^\s]+$/.test(mlflowTrackingUri)) {
    throw new UserError(`context mlflowTrackingUri=${JSON.stringify(mlflowTrackingUri)} must be an http:// or https:// URL`);
  }
  const mlflowSecretArn = pipelineString(node, 'mlflowSecretArn');
  if (mlflowSecretArn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(mlflowSecretArn)) {
    throw new UserError(`context mlflowSecretArn=${JSON.stringify(mlflowSecretArn)} is not a Secrets Manager secret ARN`);
  }
  const optional = { mlflowTrackingUri, mlflowSecretArn, mlflowSecretField: pipelineString(node, 'mlflowSecretField'), endpointName: pipelineString(node, 'endpointName'), captureUri: pipelineS3Uri(node, 'captureUri'), groundTruthUri: pipelineS3Uri(node, 'groundTruthUri') };
  return {
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    mlflowUsername: pipelineString(node, 'mlflowUsername') ?? 'admin',
  };
}

/** `-c batchScoring=SCHEDULE -c batchInput=s3://...`: both or neither. */
function readBatchScoring(node: Node): PipelineConfig['batchScoring'] {
  const schedule = pipelineSchedule(node, 'batchScoring');
  const inputUri = pipelineS3Uri(node, 'batchInput');
  if (schedule === undefined && inputUri === undefined) return undefined;
  if (schedule === undefined || inputUri === undefined) {
    throw new UserError(`context ${schedule === undefined ? 'batchInput needs batchScoring' : 'batchScoring needs batchInput'}: pass both, e.g. -c batchScoring="rate(1 day)" -c batchInput=s3://bucket/batch/`);
  }
  return { schedule, inputUri };
}

function readPipelineConfig(node: Node): PipelineConfig {
  const enableMonitoring = pipelineBoolean(node, 'enableMonitoring', false);
  const logRetentionDays = pipelineNumber(node, 'logRetentionDays', 365, { integer: true });
  // AWS Control Tower's CT.CLOUDWATCH.PR.2 (checked at synth by cfn-guard) asks for a year at least.
  const allowed = RETENTION_DAYS.filter((days) => days >= 365);
  if (!allowed.includes(logRetentionDays)) {
    throw new UserError(`context logRetentionDays=${logRetentionDays} is not a CloudWatch Logs retention of a year or more; use one of ${allowed.join(', ')}`);
  }
  const trainingSchedule = pipelineSchedule(node, 'trainingSchedule');
  const batchScoring = readBatchScoring(node);
  return {
    ...(trainingSchedule !== undefined ? { trainingSchedule } : {}),
    ...(batchScoring ? { batchScoring } : {}),
    enableMonitoring,
    monitoringSchedule: pipelineSchedule(node, 'monitoringSchedule', 'rate(1 day)')!,
    retrainOnDrift: enableMonitoring && pipelineBoolean(node, 'retrainOnDrift', true),
    spot: pipelineBoolean(node, 'batchSpot', false),
    maxvCpus: pipelineNumber(node, 'batchMaxvCpus', 4, { integer: true, min: 1, max: 256 }),
    training: jobResources(node, 'training', 1, 2048, 60),
    monitoring: jobResources(node, 'monitoring', 0.5, 1024, 30),
    step: jobResources(node, 'step', 0.25, 512, 60),
    accuracyThreshold: pipelineNumber(node, 'accuracyThreshold', DEFAULT_ACCURACY_THRESHOLD, { min: 0, max: 1 }),
    modelName: pipelineString(node, 'modelName') ?? DEFAULT_MODEL_NAME,
    alias: pipelineString(node, 'modelAlias') ?? DEFAULT_ALIAS,
    pipelineTimeoutMinutes: pipelineNumber(node, 'pipelineTimeoutMinutes', 180, { integer: true, min: 5, max: 7 * 24 * 60 }),
    logRetentionDays,
    ...pipelineConnections(node),
  };
}
