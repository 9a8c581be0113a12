import type { Construct } from 'constructs';

/**
 * The training pipeline's settings, from CDK context (`-c key=value` or
 * cdk.json), read and checked once. Every default is here.
 */
export interface PipelineConfig {
  /** EventBridge schedule expression that starts the pipeline (`trainingSchedule`); none by default. */
  trainingSchedule?: string;
  /** Scheduled monitoring job, drift metrics and alarm (`enableMonitoring`). */
  enableMonitoring: boolean;
  /** When the monitoring job runs (`monitoringSchedule`). */
  monitoringSchedule: string;
  /** The drift alarm starts the pipeline (`retrainOnDrift`; on with monitoring unless set to false). */
  retrainOnDrift: boolean;
  /** Fargate Spot instead of on-demand Fargate (`batchSpot`). */
  spot: boolean;
  /** Ceiling for the compute environment (`batchMaxvCpus`). */
  maxvCpus: number;
  training: JobResources;
  monitoring: JobResources;
  /** Registration and deployment are API calls: the smallest Fargate size is plenty. */
  step: JobResources;
  /** Used when an execution's input does not say (`accuracyThreshold`). */
  accuracyThreshold: number;
  modelName: string;
  alias: string;
  /** Whole-execution limit (`pipelineTimeoutMinutes`). */
  pipelineTimeoutMinutes: number;
  /** Retention of every log group the stack creates (`logRetentionDays`). */
  logRetentionDays: number;
  /** Cross-stack inputs when PipelineStack is deployed without the other stacks in the same app. */
  mlflowTrackingUri?: string;
  mlflowSecretArn?: string;
  /** JSON field of that secret holding the password (`mlflowSecretField`); unset: the secret is the bare password, as MlflowStack's is. */
  mlflowSecretField?: string;
  mlflowUsername: string;
  endpointName?: string;
  /** `s3://bucket/prefix` of the endpoint's Data Capture files (`captureUri`). */
  captureUri?: string;
  /** `s3://bucket/prefix` of the labels written by `rookery label` (`groundTruthUri`). */
  groundTruthUri?: string;
}

export interface JobResources {
  vcpus: number;
  memoryMiB: number;
  timeoutMinutes: number;
}

export class PipelineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineConfigError';
  }
}

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

export function readPipelineConfig(scope: Construct): PipelineConfig {
  const raw = (key: string): unknown => scope.node.tryGetContext(key);
  const str = (key: string): string | undefined => {
    const v = raw(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new PipelineConfigError(`context ${key}=${JSON.stringify(v)} must be a string`);
    return v.trim();
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = raw(key);
    if (v === undefined || v === null || v === '') return fallback;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new PipelineConfigError(`context ${key}=${JSON.stringify(v)} must be true or false`);
  };
  const num = (key: string, fallback: number, check: { min?: number; max?: number; integer?: boolean } = {}): number => {
    const v = raw(key);
    if (v === undefined || v === null || v === '') return fallback;
    const n = typeof v === 'number' ? v : Number(v);
    const bad = (why: string) => new PipelineConfigError(`context ${key}=${JSON.stringify(v)} ${why}`);
    if (typeof v === 'string' && v.trim() === '') throw bad('is not a number');
    if (!Number.isFinite(n)) throw bad('is not a number');
    if (check.integer && !Number.isInteger(n)) throw bad('must be a whole number');
    if (check.min !== undefined && n < check.min) throw bad(`must be at least ${check.min}`);
    if (check.max !== undefined && n > check.max) throw bad(`must be at most ${check.max}`);
    return n;
  };
  const schedule = (key: string, fallback?: string): string | undefined => {
    const v = str(key) ?? fallback;
    if (v !== undefined && !SCHEDULE.test(v)) {
      throw new PipelineConfigError(`context ${key}=${JSON.stringify(v)} is not an EventBridge schedule; write e.g. "rate(7 days)" or "cron(0 3 ? * MON *)"`);
    }
    return v;
  };
  const job = (prefix: string, vcpus: number, memoryMiB: number, timeoutMinutes: number): JobResources => {
    const resources = {
      vcpus: num(`${prefix}Vcpus`, vcpus, { min: 0.25 }),
      memoryMiB: num(`${prefix}MemoryMiB`, memoryMiB, { integer: true, min: 512 }),
      timeoutMinutes: num(`${prefix}TimeoutMinutes`, timeoutMinutes, { integer: true, min: 1, max: 24 * 60 }),
    };
    const size = FARGATE_SIZES.find(([vcpus]) => vcpus === resources.vcpus);
    if (!size) {
      throw new PipelineConfigError(`context ${prefix}Vcpus=${resources.vcpus} is not a Fargate size; use one of ${FARGATE_SIZES.map(([v]) => v).join(', ')}`);
    }
    const [, min, max, step] = size;
    if (resources.memoryMiB < min || resources.memoryMiB > max || (resources.memoryMiB - min) % step !== 0) {
      throw new PipelineConfigError(
        `context ${prefix}MemoryMiB=${resources.memoryMiB} does not fit ${resources.vcpus} vCPU on Fargate; use ${min} to ${max} in steps of ${step}`,
      );
    }
    return resources;
  };
  const s3Uri = (key: string): string | undefined => {
    const v = str(key);
    if (v !== undefined && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v)) {
      throw new PipelineConfigError(`context ${key}=${JSON.stringify(v)} must be an S3 URI like s3://bucket/prefix`);
    }
    return v;
  };

  const enableMonitoring = bool('enableMonitoring', false);
  const logRetentionDays = num('logRetentionDays', 30, { integer: true });
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    throw new PipelineConfigError(`context logRetentionDays=${logRetentionDays} is not a CloudWatch Logs retention; use one of ${RETENTION_DAYS.join(', ')}`);
  }
  const mlflowTrackingUri = str('mlflowTrackingUri');
  if (mlflowTrackingUri !== undefined && !/^https?:\/\/[^\s]+$/.test(mlflowTrackingUri)) {
    throw new PipelineConfigError(`context mlflowTrackingUri=${JSON.stringify(mlflowTrackingUri)} must be an http:// or https:// URL`);
  }
  const mlflowSecretArn = str('mlflowSecretArn');
  if (mlflowSecretArn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(mlflowSecretArn)) {
    throw new PipelineConfigError(`context mlflowSecretArn=${JSON.stringify(mlflowSecretArn)} is not a Secrets Manager secret ARN`);
  }

  return {
    trainingSchedule: schedule('trainingSchedule'),
    enableMonitoring,
    monitoringSchedule: schedule('monitoringSchedule', 'rate(1 day)')!,
    retrainOnDrift: enableMonitoring && bool('retrainOnDrift', true),
    spot: bool('batchSpot', false),
    maxvCpus: num('batchMaxvCpus', 4, { integer: true, min: 1, max: 256 }),
    training: job('training', 1, 2048, 60),
    monitoring: job('monitoring', 0.5, 1024, 30),
    step: job('step', 0.25, 512, 60),
    accuracyThreshold: num('accuracyThreshold', 0.7, { min: 0, max: 1 }),
    modelName: str('modelName') ?? 'penguins',
    alias: str('modelAlias') ?? 'champion',
    pipelineTimeoutMinutes: num('pipelineTimeoutMinutes', 180, { integer: true, min: 5, max: 7 * 24 * 60 }),
    logRetentionDays,
    mlflowTrackingUri,
    mlflowSecretArn,
    mlflowSecretField: str('mlflowSecretField'),
    mlflowUsername: str('mlflowUsername') ?? 'admin',
    endpointName: str('endpointName'),
    captureUri: s3Uri('captureUri'),
    groundTruthUri: s3Uri('groundTruthUri'),
  };
}
