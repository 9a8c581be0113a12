/**
 * `rookery deploy sagemaker` against moto_server: the running endpoint read
 * from moto's SageMaker, model.tar.gz uploaded to moto's S3, the rollback
 * alarms read from moto's CloudWatch, the new model and endpoint
 * configuration created in moto. moto has no UpdateEndpoint, so SageMaker
 * calls go through SageMakerUpdateDouble (test/helpers/aws-double.ts), which
 * forwards all else to moto and runs the blue/green update itself; every
 * answer it makes is checked against the SDK's service model after each test.
 */
import {
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type CloudWatchClient,
} from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointConfigCommand,
  DescribeEndpointConfigOutput$,
  DescribeEndpointOutput$,
  DescribeModelCommand,
  DescribeModelOutput$,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointOutput$,
} from '@aws-sdk/client-sagemaker';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { saveArtifact } from '../../model/artifact.ts';
import { loadDataset } from '../../model/dataset.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, trainWithCrossValidation } from '../../model/train.ts';
import { main } from '../../scripts/cli.ts';
import { UserError } from '../../model/user-error.ts';
import { commands } from '../../scripts/commands/index.ts';
import { resolveDeployModel, runSageMakerDeploy } from '../../scripts/commands/deploy-sagemaker.ts';
import { rolloutName, trafficRouting, type AwsClients } from '../../scripts/aws/deploy.ts';
import { clientConfig, cloudWatchClient, s3Client } from '../../scripts/aws/clients.ts';
import { buildModelArchive } from '../../model/archive.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { runCli } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { SageMakerUpdateDouble } from '../helpers/aws-double.ts';
import { shapeProblems } from '../helpers/aws-model.ts';
import { MOTO_INSTALL, MOTO_REGION, useMoto } from '../helpers/moto.ts';

const ENDPOINT = 'rookery-penguins';
const BUCKET = 'rookery-data-123';
const ACCOUNT = '123456789012';
const MODEL = 'rookery-penguins-0a1b2c3d4e5f';
const CONFIG = 'rookery-penguins-5f4e3d2c1b0a';
const ALARMS = [`${ENDPOINT}-5xx-errors`, `${ENDPOINT}-model-latency`];
const KEY_ARN = `arn:aws:kms:${MOTO_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OUTPUTS: Record<string, unknown> = { UpdateEndpoint: UpdateEndpointOutput$, DescribeEndpoint: DescribeEndpointOutput$, DescribeModel: DescribeModelOutput$, DescribeEndpointConfig: DescribeEndpointConfigOutput$ };
const tempDir = useTempDirs('rookery-sagemaker-deploy-');

const moto = useMoto();
let update: SageMakerUpdateDouble;
let clients: AwsClients & { cloudwatch: CloudWatchClient; s3: S3Client };
let registry: string;
let version1: string;
const previousRegistry = process.env.ROOKERY_REGISTRY;

beforeAll(async () => {
  const work = tempDir();
  registry = join(work, 'registry');
  const data = loadDataset(DEFAULT_DATA_PATH, loadSchema(DEFAULT_SCHEMA_PATH));
  const result = trainWithCrossValidation(data, { ...DEFAULT_TRAIN_OPTIONS, folds: 2 });
  saveArtifact(join(work, 'artifact'), result.params, { evaluation: result.evaluation, options: result.options, rows: data.size }, { example: data });
  await new LocalRegistry(registry).register('penguins', join(work, 'artifact'), { alias: 'champion' });
  version1 = join(registry, 'penguins', 'versions', '1');
  process.env.ROOKERY_REGISTRY = registry;
  if (!moto.available) return;
  update = await SageMakerUpdateDouble.start(moto.server.url);
  update.onAlarm = async (AlarmName) => {
    await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName, StateValue: 'ALARM', StateReason: 'rollback test' }));
  };
  clients = { sagemaker: new SageMakerClient({ ...clientConfig(MOTO_REGION), endpoint: update.url, maxAttempts: 1 }), s3: s3Client(), cloudwatch: cloudWatchClient() };
}, 120_000);

afterAll(async () => {
  if (previousRegistry === undefined) delete process.env.ROOKERY_REGISTRY;
  else process.env.ROOKERY_REGISTRY = previousRegistry;
  for (const c of Object.values(clients ?? {})) c?.destroy();
  await update?.close();
});

beforeEach(async () => {
  if (!moto.available) return;
  await moto.server.reset();
  update.reset();
  await seedEndpoint();
});

afterEach(() => {
  // What the double answered itself, member by member against SageMaker's published output shapes.
  for (const answer of update?.answers ?? []) expect(shapeProblems(OUTPUTS[answer.operation], answer.body), answer.operation).toEqual([]);
});

/** The endpoint as EndpointStack leaves it: model, configuration with Data Capture and a KMS key, two rollback alarms (quiet). */
async function seedEndpoint(instances = 1): Promise<void> {
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const AlarmName of ALARMS) {
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand({ AlarmName, Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }),
    );
    await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName, StateValue: 'OK', StateReason: 'quiet' }));
  }
  await clients.sagemaker.send(
    new CreateModelCommand({
      ModelName: MODEL,
      ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/EndpointStack-ExecutionRole605A040B-AbCdEf`,
      PrimaryContainer: {
        Image: `${ACCOUNT}.dkr.ecr.${MOTO_REGION}.amazonaws.com/cdk-hnb659fds-container-assets-${ACCOUNT}-${MOTO_REGION}:f20f844e1c`,
        Mode: 'SingleModel',
        ModelDataUrl: `s3://cdk-hnb659fds-assets-${ACCOUNT}-${MOTO_REGION}/93e2703de8.gz`,
        Environment: { MODEL_DIR: '/opt/ml/model', DATA_CAPTURE: 'false' },
      },
      EnableNetworkIsolation: true,
    }),
  );
  await clients.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: CONFIG,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: MODEL, InstanceType: 'ml.m5.large', InitialInstanceCount: instances, InitialVariantWeight: 1 }],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: `s3://${BUCKET}/capture`,
        KmsKeyId: KEY_ARN,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'], CsvContentTypes: ['text/csv'] },
      },
      KmsKeyId: KEY_ARN,
    }),
  );
  await clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: CONFIG }));
}

const at = (iso: string) => () => new Date(iso);

async function deploy(values: Record<string, unknown> = {}, now = at('2024-05-01T12:00:00Z')) {
  const lines: string[] = [];
  const outcome = await runSageMakerDeploy({ endpoint: ENDPOINT, model: 'models:/penguins@champion', alarm: ALARMS, ...values }, (l) => lines.push(l), { clients, pollIntervalMs: 1, now });
  return { outcome, lines };
}

const sent = (operation: string) => update.requests.filter((r) => r.operation === operation).map((r) => r.body);
const names = async () => ({
  models: ((await clients.sagemaker.send(new ListModelsCommand({}))).Models ?? []).map((m) => m.ModelName).sort(),
  configs: ((await clients.sagemaker.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? []).map((c) => c.EndpointConfigName).sort(),
});

describe('traffic routing', () => {
  it('bakes all at once on a single instance and sends a one-instance canary on larger fleets', () => {
    expect(trafficRouting('auto', 1, 300).routing).toEqual({ Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 });
    expect(trafficRouting('auto', 3, 120).routing).toEqual({ Type: 'CANARY', CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 120 });
    expect(trafficRouting('canary', 4, 60, 25).routing.CanarySize).toEqual({ Type: 'CAPACITY_PERCENT', Value: 25 });
    expect(trafficRouting('linear', 4, 60)).toMatchObject({ routing: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 60 }, steps: 4 });
  });

  it("refuses what SageMaker's limits would reject, as usage errors", () => {
    expect(() => trafficRouting('canary', 1, 300)).toThrow(/needs at least 2 instances/);
    expect(() => trafficRouting('linear', 4, 60, 5)).toThrow(/must be 10 to 50/);
    expect(() => trafficRouting('canary', 4, 60, 60)).toThrow(/must be 1 to 50/);
    try {
      trafficRouting('linear', 1, 60);
    } catch (err) {
      expect((err as UserError).exitCode).toBe(2);
    }
  });

  it('names rollouts after the endpoint, so the pipeline role\'s endpoint-prefixed permissions cover them', () => {
    expect(rolloutName(ENDPOINT, new Date('2024-05-01T12:34:56Z'))).toBe('rookery-penguins-r20240501123456');
    expect(rolloutName('x'.repeat(63), new Date()).length).toBeLessThanOrEqual(63);
  });
});

describe('rookery deploy sagemaker against moto_server (UpdateEndpoint through the double)', () => {
  if (!moto.available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it('uploads model.tar.gz next to the captures, copies the running model and configuration, and completes a guarded update', async () => {
    const { outcome, lines } = await deploy();
    const archive = buildModelArchive(version1);
    const key = `models/penguins/1-${archive.sha256.slice(0, 12)}/model.tar.gz`;
    const name = 'rookery-penguins-r20240501120000';
    expect(outcome).toEqual({ status: 'deployed', endpointConfig: name, model: name, previousConfig: CONFIG, modelDataUrl: `s3://${BUCKET}/${key}` });

    const uploaded = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = Buffer.from(await uploaded.Body!.transformToByteArray());
    expect(bytes.equals(archive.body)).toBe(true);
    expect(gunzipSync(bytes).subarray(0, 7).toString('utf8')).toBe('MLmodel');
    expect(await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });

    const old = await clients.sagemaker.send(new DescribeModelCommand({ ModelName: MODEL }));
    expect(sent('CreateModel').at(-1)).toEqual({
      ModelName: name,
      ExecutionRoleArn: old.ExecutionRoleArn,
      PrimaryContainer: { Image: old.PrimaryContainer!.Image, Mode: 'SingleModel', Environment: old.PrimaryContainer!.Environment, ModelDataUrl: `s3://${BUCKET}/${key}` },
      EnableNetworkIsolation: true,
      Tags: [
        { Key: 'rookery:model', Value: 'penguins/1' },
        { Key: 'rookery:model-sha256', Value: archive.sha256 },
      ],
    });
    expect((await clients.sagemaker.send(new DescribeModelCommand({ ModelName: name }))).PrimaryContainer?.ModelDataUrl).toBe(`s3://${BUCKET}/${key}`);
    const oldConfig = await clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: CONFIG }));
    const newConfig = await clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
    expect(newConfig.ProductionVariants).toEqual([{ ...oldConfig.ProductionVariants![0], ModelName: name, InitialInstanceCount: 1 }]);
    expect(newConfig.DataCaptureConfig).toEqual(oldConfig.DataCaptureConfig);
    expect(newConfig.KmsKeyId).toBe(KEY_ARN);

    expect(sent('UpdateEndpoint')).toEqual([
      {
        EndpointName: ENDPOINT,
        EndpointConfigName: name,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 }, TerminationWaitInSeconds: 0, MaximumExecutionTimeoutInSeconds: 2100 },
          AutoRollbackConfiguration: { Alarms: ALARMS.map((AlarmName) => ({ AlarmName })) },
        },
      },
    ]);
    expect(lines[0]).toBe(`rookery-penguins serves ${CONFIG} (model ${MODEL}, 1 × ml.m5.large)`);
    expect(lines).toContain(`uploading penguins/1 (${(archive.body.length / 1024).toFixed(1)} KiB) to s3://${BUCKET}/${key}`);
    expect(lines).toContain('updating rookery-penguins: blue/green, all traffic at once, then 300 s baking; rolls back if rookery-penguins-5xx-errors or rookery-penguins-model-latency fires (limit 35 min)');
    expect(lines.filter((l) => /^\[\d\d:\d\d\] /.test(l)).map((l) => l.slice(8))).toEqual([
      'Updating; new fleet AllTraffic: Creating 0/1 instances',
      'Updating; new fleet AllTraffic: ActivatingTraffic weight 0→1 1/1 instances',
      'Updating; new fleet AllTraffic: Baking weight 1→1 1/1 instances',
      'InService',
    ]);
    expect(lines.at(-1)).toBe(`deployed penguins/1: rookery-penguins is InService on ${name}`);
  });

  it('takes the alarms from the last deployment and removes the rollout it replaces, never the stack’s own model and configuration', async () => {
    await deploy();
    const { outcome, lines } = await deploy({ model: version1, alarm: undefined }, at('2024-05-02T08:00:00Z'));
    expect(outcome).toMatchObject({ status: 'deployed', previousConfig: 'rookery-penguins-r20240501120000' });
    expect(sent('UpdateEndpoint')[1].DeploymentConfig.AutoRollbackConfiguration).toEqual({ Alarms: ALARMS.map((AlarmName) => ({ AlarmName })) });
    expect(lines.at(-1)).toBe('removed unused model and endpoint configuration rookery-penguins-r20240501120000');
    expect(await names()).toEqual({ models: [MODEL, 'rookery-penguins-r20240502080000'], configs: [CONFIG, 'rookery-penguins-r20240502080000'] });
    // The same model content is the same object: uploaded again under the same key.
    expect((await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount).toBe(1);
  });

  it('reports a rollback when a rollback alarm fires during baking, and removes what it created', async () => {
    update.plan = 'alarm';
    const { outcome, lines } = await deploy();
    const reason = 'Deployment was rolled back because alarm(s) [rookery-penguins-5xx-errors] went into ALARM state.';
    expect(outcome).toEqual({ status: 'rolled-back', endpointConfig: 'rookery-penguins-r20240501120000', previousConfig: CONFIG, reason });
    expect(lines).toContain(`rolled back: ${reason}; rookery-penguins still serves ${CONFIG}`);
    expect(lines.at(-1)).toBe('removed unused model and endpoint configuration rookery-penguins-r20240501120000');
    expect(await names()).toEqual({ models: [MODEL], configs: [CONFIG] });
    const alarms = await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARMS[0]] }));
    expect(alarms.MetricAlarms?.[0].StateValue).toBe('ALARM');
  });

  it('copies a larger fleet’s size and sends a canary first', async () => {
    await moto.server.reset();
    await seedEndpoint(3);
    const { outcome } = await deploy({ bake: '120', 'termination-wait': '60' });
    expect(outcome.status).toBe('deployed');
    expect(sent('CreateEndpointConfig').at(-1).ProductionVariants[0].InitialInstanceCount).toBe(3);
    expect(sent('UpdateEndpoint')[0].DeploymentConfig.BlueGreenUpdatePolicy).toEqual({
      TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 120 },
      TerminationWaitInSeconds: 60,
      MaximumExecutionTimeoutInSeconds: 1800 + 2 * 120 + 60,
    });
  });

  it('refuses to start when a rollback alarm is already firing, before creating anything', async () => {
    await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: ALARMS[1], StateValue: 'ALARM', StateReason: 'firing' }));
    await expect(deploy()).rejects.toThrow('rollback alarm rookery-penguins-model-latency is in ALARM now, so SageMaker would roll the update back at once: fix what it reports (or wait for it to clear) and deploy again');
    expect(sent('CreateModel')).toHaveLength(1);
    expect((await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount).toBe(0);
  });

  it('refuses endpoints that are busy, missing, or have no alarms to roll back on', async () => {
    await expect(deploy({ alarm: undefined })).rejects.toThrow(/last deployment named no rollback alarms: pass --alarm NAME/);
    await expect(deploy({ alarm: ['missing-alarm'] })).rejects.toThrow('rollback alarm missing-alarm does not exist in this account and region; check --alarm');
    await expect(deploy({ traffic: 'canary' })).rejects.toMatchObject({ exitCode: 2 });
    // moto's own answer for an endpoint that is not there.
    await expect(deploy({ endpoint: 'nope' })).rejects.toThrow('SageMaker endpoint nope does not exist in this region: deploy EndpointStack first (`npx cdk deploy EndpointStack`), or check --endpoint and --region');
    await clients.sagemaker.send(new UpdateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: CONFIG }));
    await expect(deploy()).rejects.toThrow(/^SageMaker endpoint rookery-penguins is Updating, not InService: wait for the update in progress/);
  });

  it('runs as `rookery deploy sagemaker`: exit 1 on a rollback, 0 on success', async () => {
    const argv = ['deploy', 'sagemaker', '--endpoint', ENDPOINT, '--model', version1, '--poll', '0.01', ...ALARMS.flatMap((a) => ['--alarm', a])];
    const env = { ...moto.server.env(), AWS_ENDPOINT_URL_SAGEMAKER: update.url };
    update.plan = 'alarm';
    const rolledBack = await runCli(argv, env, { timeoutMs: 60_000 });
    expect(rolledBack.code).toBe(1);
    expect(rolledBack.stdout).toMatch(/^rolled back: Deployment was rolled back because alarm\(s\) \[rookery-penguins-5xx-errors\]/m);
    for (const AlarmName of ALARMS) await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName, StateValue: 'OK', StateReason: 'cleared' }));
    update.plan = 'complete';
    const deployed = await runCli(argv, env, { timeoutMs: 60_000 });
    expect(deployed.stderr.split('\n').filter((l) => l.startsWith('rookery:'))).toEqual([]);
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/^deployed penguins\/1: rookery-penguins is InService on rookery-penguins-r\d{14}$/m);
  }, 120_000);

  it('goes as far as moto goes without the double, and removes what it created when UpdateEndpoint fails', async () => {
    const argv = ['deploy', 'sagemaker', '--endpoint', ENDPOINT, '--model', version1, '--poll', '0.01', ...ALARMS.flatMap((a) => ['--alarm', a])];
    const run = await runCli(argv, moto.server.env(), { timeoutMs: 60_000 });
    expect(run.stdout).toMatch(/^created model and endpoint configuration rookery-penguins-r\d{14}$/m);
    expect(run.stdout).toMatch(/^removed unused model and endpoint configuration rookery-penguins-r\d{14}$/m);
    // moto answers UpdateEndpoint with an HTML error page (HTTP 500): not the user's error, so the CLI prints it with its stack (exit 70).
    expect(run.code).toBe(70);
    expect(run.stderr).toMatch(/^rookery: unexpected error: .*[\s\S]*at async startBlueGreenUpdate/m);
    expect(await names()).toEqual({ models: [MODEL], configs: [CONFIG] });
  }, 120_000);
});

describe('rookery deploy sagemaker: the model', () => {
  it('reads --model as a registry reference or a model directory', async () => {
    expect(await resolveDeployModel('models:/penguins@champion')).toEqual({ dir: version1, name: 'penguins', version: 1 });
    expect(await resolveDeployModel(version1)).toEqual({ dir: version1, name: 'penguins', version: 1 });
    await expect(resolveDeployModel('models:/penguins@staging')).rejects.toThrow(/^no penguins@staging in the local registry .*; run `npm start` or `rookery train` to train and register one$/);
    // The same answer as `rookery serve --model` for a folder that is not there (registry/resolve.ts).
    await expect(resolveDeployModel('not a model!')).rejects.toThrow(/not a model! \(from --model\) holds no model: there is no such folder, and it is not a registry reference/);
  });
});

describe('the rookery program', () => {
  it('is a registered two-word command with help', async () => {
    const printed: string[] = [];
    expect(await main(['deploy', 'sagemaker', '--help'], commands, (l) => printed.push(l))).toBe(0);
    expect(printed[0]).toMatch(/^Usage: rookery deploy sagemaker --endpoint NAME/);
    expect(printed.join('\n')).toContain('aws sso login');
  });

  it('prints one line naming the profile when there are no credentials', async () => {
    const result = await runCli(['deploy', 'sagemaker', '--endpoint', ENDPOINT, '--model', version1], {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_REGION: MOTO_REGION,
      AWS_PROFILE: 'nobody',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_CONFIG_FILE: join(tempDir(), 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(tempDir(), 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
    });
    expect(result.code).toBe(1);
    // Node 20 also gets the AWS SDK's own notice that its 2027 releases need Node 22; that is the SDK's line to print.
    const ours = result.stderr.split('\n').filter((l) => l.startsWith('rookery:') || /^\s+at /.test(l));
    expect(ours).toEqual([
      'rookery: no AWS credentials found for profile "nobody" (SageMaker endpoint rookery-penguins): run `aws sso login --profile nobody` (IAM Identity Center) or `aws configure --profile nobody` (access keys), or set AWS_PROFILE to a configured profile',
    ]);
  });
});
