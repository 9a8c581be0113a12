/**
 * `rookery score --target sagemaker` against moto_server: the endpoint's
 * model, configuration and capture location read from moto's SageMaker, the
 * transform job created there and read back with DescribeTransformJob (what
 * moto stored is what the CLI sent). moto completes every transform job at
 * once and never fails one, so the failure path runs in-process with a
 * client whose DescribeTransformJob answers (moto's, status changed to
 * Failed) are checked against the SDK's published output shape.
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeTransformJobCommand,
  DescribeTransformJobResponse$,
  ListModelsCommand,
  ListTransformJobsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientConfig, s3Client } from '../../scripts/aws/clients.ts';
import { runSageMakerScore } from '../../scripts/score/sagemaker-job.ts';
import { runCli } from '../helpers/cli.ts';
import { shapeProblems } from '../helpers/aws-model.ts';
import { MOTO_INSTALL, MOTO_REGION, useMoto } from '../helpers/moto.ts';
import { registryWithChampion } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';

const ENDPOINT = 'rookery-penguins';
const BUCKET = 'rookery-data-123';
const ACCOUNT = '123456789012';
const MODEL = 'rookery-penguins-0a1b2c3d4e5f';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/EndpointStack-ExecutionRole605A040B-AbCdEf`;
const KEY_ARN = `arn:aws:kms:${MOTO_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const tempDir = useTempDirs('rookery-score-transform-');
const moto = useMoto();
let sagemaker: SageMakerClient;
let s3: S3Client;
let registry: string;

beforeAll(async () => {
  registry = await registryWithChampion(tempDir());
  if (!moto.available) return;
  sagemaker = new SageMakerClient({ ...clientConfig(MOTO_REGION), maxAttempts: 1 });
  s3 = s3Client();
}, 120_000);

afterAll(() => {
  sagemaker?.destroy();
  s3?.destroy();
});

beforeEach(async () => {
  if (!moto.available) return;
  await moto.server.reset();
  await seedEndpoint();
});

/** The endpoint as EndpointStack leaves it: model, configuration with Data Capture and the data key. */
async function seedEndpoint(): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await sagemaker.send(
    new CreateModelCommand({
      ModelName: MODEL,
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: `${ACCOUNT}.dkr.ecr.${MOTO_REGION}.amazonaws.com/rookery:f20f844e1c`, ModelDataUrl: `s3://${BUCKET}/models/m.tar.gz`, Environment: { DATA_CAPTURE: 'false' } },
    }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'cfg',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: MODEL, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: `s3://${BUCKET}/capture`,
        KmsKeyId: KEY_ARN,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'cfg' }));
}

async function onlyJob() {
  const jobs = (await sagemaker.send(new ListTransformJobsCommand({}))).TransformJobSummaries ?? [];
  expect(jobs).toHaveLength(1);
  return sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: jobs[0].TransformJobName }));
}

describe('rookery score --target sagemaker against moto_server', () => {
  if (!moto.available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it("creates a MultiRecord, line-split transform job with the endpoint's model and capture, waits and prints the output", async () => {
    const run = await runCli(['score', '--target', 'sagemaker', '--input', `s3://${BUCKET}/batch/2026-12-01.csv`, '--output', `s3://${BUCKET}/scores/`, '--poll', '0.05'], moto.server.env(), { timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const job = await onlyJob();
    expect(job.TransformJobName).toMatch(/^rookery-score-\d{14}$/);
    expect(job.ModelName).toBe(MODEL);
    expect(job.BatchStrategy).toBe('MultiRecord');
    expect(job.MaxPayloadInMB).toBe(6);
    expect(job.TransformInput).toEqual({
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/batch/2026-12-01.csv` } },
      ContentType: 'text/csv',
      SplitType: 'Line',
      CompressionType: 'None',
    });
    expect(job.TransformOutput).toEqual({ S3OutputPath: `s3://${BUCKET}/scores/`, Accept: 'text/csv', AssembleWith: 'Line', KmsKeyId: KEY_ARN });
    expect(job.TransformResources).toEqual({ InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeKmsKeyId: KEY_ARN });
    expect(job.DataCaptureConfig).toEqual({ DestinationS3Uri: `s3://${BUCKET}/capture`, KmsKeyId: KEY_ARN, GenerateInferenceId: true });
    expect(run.stdout).toContain(`transform job ${job.TransformJobName}: Completed`);
    expect(run.stdout).toContain(`scored: s3://${BUCKET}/scores/2026-12-01.csv.out`);
  });

  it('JSON Lines with --no-capture and --model: a new model from the endpoint model, no capture config', async () => {
    const run = await runCli(
      ['score', '--target', 'sagemaker', '--input', `s3://${BUCKET}/batch/a.jsonl`, '--output', `s3://${BUCKET}/scores`, '--no-capture', '--model', 'models:/penguins@champion', '--poll', '0.05'],
      { ...moto.server.env(), ROOKERY_REGISTRY: registry },
      { timeoutMs: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const job = await onlyJob();
    expect(job.TransformInput?.ContentType).toBe('application/jsonlines');
    expect(job.TransformOutput?.Accept).toBe('application/jsonlines');
    expect(job.DataCaptureConfig).toBeUndefined();
    expect(job.ModelName).not.toBe(MODEL);
    const models = ((await sagemaker.send(new ListModelsCommand({}))).Models ?? []).map((m) => m.ModelName);
    expect(models).toContain(job.ModelName);
    expect(run.stdout).toContain(`scored: s3://${BUCKET}/scores/a.jsonl.out`);
  });

  it('refuses Parquet with what to do instead, before any job', async () => {
    const run = await runCli(['score', '--target', 'sagemaker', '--input', `s3://${BUCKET}/batch/a.parquet`, '--output', `s3://${BUCKET}/scores/`], moto.server.env(), { timeoutMs: 60_000 });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/Parquet.*cannot split by line: convert it to CSV or JSON Lines, or score it with --target local$/);
    expect((await sagemaker.send(new ListTransformJobsCommand({}))).TransformJobSummaries ?? []).toEqual([]);
  });

  it("prints a failed job's FailureReason in one line and exits 1", async () => {
    const failing = new SageMakerClient({ ...clientConfig(MOTO_REGION), maxAttempts: 1 });
    const answers: unknown[] = [];
    let polls = 0;
    // moto says Completed at once: the second poll onwards says Failed, as SageMaker does when the container errs.
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'DescribeTransformJobCommand') {
          const output = result.output as unknown as Record<string, unknown>;
          output.TransformJobStatus = ++polls === 1 ? 'InProgress' : 'Failed';
          output.FailureReason = polls === 1 ? undefined : 'ClientError: See job logs for more information\n(ping timed out)';
          const { $metadata: _, ...body } = output;
          // Back to the wire's JSON (timestamps as epoch seconds), which the published shape describes.
          answers.push(JSON.parse(JSON.stringify(body, function (this: Record<string, unknown>, key, value) {
            return this[key] instanceof Date ? (this[key] as Date).getTime() / 1000 : value;
          })));
        }
        return result;
      },
      { step: 'initialize' },
    );
    const lines: string[] = [];
    await expect(
      runSageMakerScore({ input: `s3://${BUCKET}/batch/x.csv`, output: `s3://${BUCKET}/scores/` }, (l) => lines.push(l), { clients: { sagemaker: failing, s3 }, pollIntervalMs: 1 }),
    ).rejects.toThrow(/^SageMaker transform job rookery-score-\d{14} ended Failed: ClientError: See job logs for more information \(ping timed out\)$/);
    expect(lines.filter((l) => l.startsWith('transform job')).map((l) => l.split(': ')[1].split(' ')[0])).toEqual(['InProgress', 'Failed']);
    for (const answer of answers) expect(shapeProblems(DescribeTransformJobResponse$, answer)).toEqual([]);
    failing.destroy();
  });
  it('Ctrl-C stops the job (StopTransformJob with its name) and exits 130', async () => {
    const client = new SageMakerClient({ ...clientConfig(MOTO_REGION), maxAttempts: 1 });
    const interrupt = new AbortController();
    const stopped: unknown[] = [];
    // moto has no StopTransformJob and completes jobs at once: the job stays InProgress here, Ctrl-C comes during the wait, the stop is recorded.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'StopTransformJobCommand') {
          stopped.push(args.input);
          return { output: { $metadata: {} }, response: {} } as never;
        }
        const result = await next(args);
        if (context.commandName === 'DescribeTransformJobCommand') {
          (result.output as unknown as Record<string, unknown>).TransformJobStatus = 'InProgress';
          interrupt.abort();
        }
        return result;
      },
      { step: 'initialize' },
    );
    const lines: string[] = [];
    const code = await runSageMakerScore({ input: `s3://${BUCKET}/batch/x.csv`, output: `s3://${BUCKET}/scores/` }, (l) => lines.push(l), { clients: { sagemaker: client, s3 }, pollIntervalMs: 60_000, signal: interrupt.signal });
    expect(code).toBe(130);
    const name = (await onlyJob()).TransformJobName;
    expect(stopped).toEqual([{ TransformJobName: name }]);
    expect(lines.at(-1)).toBe(`interrupted: stopping SageMaker transform job ${name}`);
    client.destroy();
  });
});
