/**
 * `rookery score --target sagemaker`: the serving image scores an S3 file or
 * prefix as a SageMaker Batch Transform job. The model is the endpoint's (or
 * `--model`, packed and created as `deploy sagemaker` does, with the endpoint
 * model's image and role); the records go to the container a mini-batch at a
 * time (lines split, MultiRecord) and come back joined line by line, and Data
 * Capture writes inputs and outputs under the endpoint's capture location, so
 * `rookery monitor --datastore` reads batch predictions as it reads live ones.
 * This process submits, shows progress until the job ends, prints where the
 * scores are or the job's failure reason; Ctrl-C stops the job.
 */
import { DEFAULT_ENDPOINT_NAME } from '../../cloud/sagemaker.ts';
import {
  CreateTransformJobCommand,
  DescribeEndpointCommand,
  DescribeTransformJobCommand,
  StopTransformJobCommand,
  type CreateTransformJobCommandInput,
  type DescribeTransformJobCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { parseS3Uri } from '../../cloud/s3-location.ts';
import { UserError } from '../../model/user-error.ts';
import { awsClients } from '../aws/clients.ts';
import { awsCall } from '../aws/credentials.ts';
import { type AwsClients, createModelLike, readRunningEndpoint, rolloutName, uploadModel } from '../aws/deploy.ts';
import { numberFlag } from '../command.ts';
import { resolveDeployModel } from '../commands/deploy-sagemaker.ts';
import { INTERRUPTED_EXIT, pause, withInterrupt } from '../traffic/interrupt.ts';
import { scoreFormats } from './format.ts';
import type { ScoreFlags } from './score-flags.ts';

/** EndpointStack's endpoint name when `-c endpointName` is not given (stacks/config.ts). */
export const DEFAULT_INSTANCE_TYPE = 'ml.m5.large';
/** SageMaker's default and the server's body limit (6 MB). */
const MAX_PAYLOAD_MB = 6;
/** Statuses after which a job changes no more (TransformJobStatus). */
const FINAL = new Set(['Completed', 'Failed', 'Stopped']);
const CONTENT_TYPES = { csv: 'text/csv', jsonl: 'application/jsonlines' } as const;

/** Injectable for tests: the clients, how often to poll, a signal standing in for Ctrl-C, the clock. */
export interface SageMakerScoreOptions {
  clients?: AwsClients;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Draws the status line in place (a terminal); else one line per status change. */
  tty?: boolean;
  now?: () => Date;
}

export function scoreOnSageMaker(flags: ScoreFlags, out: (line: string) => void): Promise<number> {
  return withInterrupt((signal) => runSageMakerScore(flags, out, { signal, tty: process.stderr.isTTY === true }));
}

/** Creates the transform job, waits for it and returns the exit status: 0 completed, 1 failed or stopped, 130 after Ctrl-C. */
export async function runSageMakerScore(flags: ScoreFlags, out: (line: string) => void, options: SageMakerScoreOptions = {}): Promise<number> {
  const text = (key: string) => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);
  const input = s3Flag('input', text('input'));
  const output = s3Flag('output', text('output'));
  if (text('rejects')) throw new UserError('--rejects is local only: on SageMaker Batch Transform a record the model refuses fails the job (its reason is printed)', { exitCode: 2 });
  const format = scoreFormats(input, output, text('format'));
  if (format === 'parquet') {
    throw new UserError(`--input ${input} is Parquet, which SageMaker Batch Transform cannot split by line: convert it to CSV or JSON Lines, or score it with --target local`, { exitCode: 2 });
  }
  const capture = flags['no-capture'] === true ? undefined : text('capture');
  if (capture !== undefined) s3Flag('capture', capture);
  const poll = numberFlag('poll', text('poll'), 30, { min: 0.01, max: 300 });
  const clients = options.clients ?? awsClients(text('region'));
  const endpoint = text('endpoint') ?? DEFAULT_ENDPOINT_NAME;
  const running = await readRunningEndpoint(clients.sagemaker, endpoint, () => awsCall(`SageMaker endpoint ${endpoint}`, () => clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }))));
  const now = options.now?.() ?? new Date();
  const name = `rookery-score-${now.toISOString().replace(/\D/g, '').slice(0, 14)}`;
  let modelName = running.variant.ModelName!;
  if (text('model')) {
    const model = await resolveDeployModel(text('model')!);
    const uploaded = await uploadModel(clients, { endpoint, model, out }, running);
    modelName = rolloutName(endpoint, now);
    await createModelLike(clients.sagemaker, modelName, running.current, uploaded);
    out(`created model ${modelName} from ${uploaded.label}`);
  }
  const captureConfig = running.config.DataCaptureConfig;
  const request = transformJobRequest({
    name,
    modelName,
    input,
    output,
    contentType: CONTENT_TYPES[format],
    instanceType: text('instance-type') ?? DEFAULT_INSTANCE_TYPE,
    kmsKeyId: captureConfig?.KmsKeyId ?? running.config.KmsKeyId,
    captureUri: flags['no-capture'] === true ? undefined : (capture ?? captureConfig?.DestinationS3Uri),
  });
  if (flags['no-capture'] !== true && !request.DataCaptureConfig) {
    throw new UserError(`${endpoint} has no Data Capture location to capture batch predictions into: pass --capture s3://bucket/prefix, or --no-capture`, { exitCode: 2 });
  }
  if (options.signal?.aborted) return INTERRUPTED_EXIT;
  await awsCall(`creating transform job ${name}`, () => clients.sagemaker.send(new CreateTransformJobCommand(request)));
  out(`created SageMaker transform job ${name}: scoring ${input} with model ${modelName} on ${request.TransformResources!.InstanceType}${request.DataCaptureConfig ? `, capturing to ${request.DataCaptureConfig.DestinationS3Uri}` : ''}`);
  return waitForTransform(clients.sagemaker, name, out, { ...options, pollIntervalMs: options.pollIntervalMs ?? poll * 1000 });
}

function s3Flag(flag: string, value: string | undefined): string {
  if (!value) throw new UserError(`--${flag} is required (see 'rookery score --help')`, { exitCode: 2 });
  if (!value.startsWith('s3://')) throw new UserError(`--${flag} ${value}: with --target sagemaker it is an s3://bucket/key location (a file or a prefix)`, { exitCode: 2 });
  parseS3Uri(value);
  return value;
}

export interface TransformJobSpec {
  name: string;
  modelName: string;
  input: string;
  output: string;
  contentType: string;
  instanceType: string;
  /** The endpoint's data key: the outputs, the captures and the instance's volume are encrypted with it. */
  kmsKeyId?: string;
  /** Where Data Capture writes; no capture without it. */
  captureUri?: string;
}

/**
 * CreateTransformJob's request. SageMaker sets SAGEMAKER_BATCH=true in the
 * container itself (contracts §6), so no Environment is given;
 * MaxConcurrentTransforms is left unset so SageMaker asks the container's
 * /execution-parameters.
 */
export function transformJobRequest(spec: TransformJobSpec): CreateTransformJobCommandInput {
  const key = spec.kmsKeyId ? { KmsKeyId: spec.kmsKeyId } : {};
  return {
    TransformJobName: spec.name,
    ModelName: spec.modelName,
    BatchStrategy: 'MultiRecord',
    MaxPayloadInMB: MAX_PAYLOAD_MB,
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: spec.input } },
      ContentType: spec.contentType,
      SplitType: 'Line',
      CompressionType: 'None',
    },
    TransformOutput: { S3OutputPath: spec.output, Accept: spec.contentType, AssembleWith: 'Line', ...key },
    TransformResources: { InstanceType: spec.instanceType as never, InstanceCount: 1, ...(spec.kmsKeyId ? { VolumeKmsKeyId: spec.kmsKeyId } : {}) },
    ...(spec.captureUri ? { DataCaptureConfig: { DestinationS3Uri: spec.captureUri, GenerateInferenceId: true, ...key } } : {}),
    Tags: [{ Key: 'rookery:input', Value: spec.input }],
  };
}

/** Polls the job until it ends, a line per status change (or one status line in place on a terminal). */
async function waitForTransform(sagemaker: SageMakerClient, name: string, out: (line: string) => void, options: SageMakerScoreOptions): Promise<number> {
  const started = Date.now();
  let last = '';
  for (;;) {
    if (options.signal?.aborted) {
      await awsCall(`stopping transform job ${name}`, () => sagemaker.send(new StopTransformJobCommand({ TransformJobName: name })));
      out(`interrupted: stopping SageMaker transform job ${name}`);
      return INTERRUPTED_EXIT;
    }
    const job = await awsCall(`transform job ${name}`, () => sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name })));
    const status = job.TransformJobStatus ?? 'Unknown';
    const line = `transform job ${name}: ${status} (${Math.round((Date.now() - started) / 1000)} s)`;
    if (options.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (status !== last) out(line);
    last = status;
    if (FINAL.has(status)) {
      if (options.tty) process.stderr.write('\n');
      return finish(job, out);
    }
    await pause(options.pollIntervalMs ?? 30_000, options.signal);
  }
}

/** Where the scores are: SageMaker writes `<input key relative to the prefix>.out` under S3OutputPath for each input object. */
export function outputLocation(input: string, outputPath: string): string {
  const base = outputPath.replace(/\/?$/, '/');
  if (input.endsWith('/')) return `${base}*.out (one per object under ${input})`;
  return `${base}${input.slice(input.lastIndexOf('/') + 1)}.out`;
}

function finish(job: DescribeTransformJobCommandOutput, out: (line: string) => void): number {
  if (job.TransformJobStatus === 'Completed') {
    out(`scored: ${outputLocation(job.TransformInput?.DataSource?.S3DataSource?.S3Uri ?? '', job.TransformOutput?.S3OutputPath ?? '')}`);
    if (job.DataCaptureConfig?.DestinationS3Uri) out(`captured: ${job.DataCaptureConfig.DestinationS3Uri} (rookery monitor --datastore ${job.DataCaptureConfig.DestinationS3Uri})`);
    return 0;
  }
  throw new UserError(`SageMaker transform job ${job.TransformJobName} ended ${job.TransformJobStatus}: ${(job.FailureReason || 'no failure reason given').replace(/\s+/g, ' ')}`);
}
