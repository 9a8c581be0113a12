import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { buildModelArchive } from '../../model/archive.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { runCli } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { AwsDouble, CREDENTIALS, REGION } from '../helpers/aws-double.ts';

const ENDPOINT = 'rookery-penguins';
const BUCKET = 'rookery-data-123';
const tempDir = useTempDirs('rookery-sagemaker-deploy-');

let aws: AwsDouble;
let clients: AwsClients;
let registry: string;
let version1: string;
const previousRegistry = process.env.ROOKERY_REGISTRY;

beforeAll(async () => {
  aws = await AwsDouble.start();
  const common = { region: REGION, endpoint: aws.url, credentials: CREDENTIALS, maxAttempts: 1 };
  clients = { sagemaker: new SageMakerClient(common), s3: new S3Client({ ...common, forcePathStyle: true }), cloudwatch: new CloudWatchClient(common) };

  const work = tempDir();
  registry = join(work, 'registry');
  const data = loadDataset(DEFAULT_DATA_PATH, loadSchema(DEFAULT_SCHEMA_PATH));
  const result = trainWithCrossValidation(data, { ...DEFAULT_TRAIN_OPTIONS, folds: 2 });
  saveArtifact(join(work, 'artifact'), result.params, { evaluation: result.evaluation, options: result.options, rows: data.size }, { example: data });
  await new LocalRegistry(registry).register('penguins', join(work, 'artifact'), { alias: 'champion' });
  version1 = join(registry, 'penguins', 'versions', '1');
  process.env.ROOKERY_REGISTRY = registry;
});

afterAll(async () => {
  if (previousRegistry === undefined) delete process.env.ROOKERY_REGISTRY;
  else process.env.ROOKERY_REGISTRY = previousRegistry;
  for (const c of Object.values(clients)) c?.destroy();
  await aws.close();
});

beforeEach(() => {
  aws.calls.length = 0;
  aws.models.clear();
  aws.endpointConfigs.clear();
  aws.endpoints.clear();
  aws.buckets.clear();
  aws.alarms.clear();
  aws.plan = 'complete';
  aws.failWith = undefined;
  aws.seedEndpoint({ name: ENDPOINT, bucket: BUCKET });
});

const at = (iso: string) => () => new Date(iso);

async function deploy(values: Record<string, unknown> = {}, now = at('2024-05-01T12:00:00Z')) {
  const lines: string[] = [];
  const outcome = await runSageMakerDeploy({ endpoint: ENDPOINT, model: 'models:/penguins@champion', ...values }, (l) => lines.push(l), { clients, pollIntervalMs: 1, now });
  return { outcome, lines };
}

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

describe('rookery deploy sagemaker against the SageMaker, S3 and CloudWatch doubles', () => {
  it('uploads model.tar.gz next to the captures, copies the running model and configuration, and completes a guarded update', async () => {
    const { outcome, lines } = await deploy();
    const archive = buildModelArchive(version1);
    const key = `models/penguins/1-${archive.sha256.slice(0, 12)}/model.tar.gz`;
    const name = 'rookery-penguins-r20240501120000';
    expect(outcome).toEqual({ status: 'deployed', endpointConfig: name, model: name, previousConfig: 'rookery-penguins-5f4e3d2c1b0a', modelDataUrl: `s3://${BUCKET}/${key}` });

    const uploaded = aws.buckets.get(BUCKET)!.get(key)!;
    expect(uploaded.body.equals(archive.body)).toBe(true);
    expect(gunzipSync(uploaded.body).subarray(0, 7).toString('utf8')).toBe('MLmodel');
    const keyArn = aws.endpointConfigs.get('rookery-penguins-5f4e3d2c1b0a').DataCaptureConfig.KmsKeyId;
    expect(uploaded.headers).toMatchObject({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': keyArn });

    const old = aws.models.get('rookery-penguins-0a1b2c3d4e5f');
    const [createModel] = aws.operations('sagemaker', 'CreateModel');
    expect(createModel.body).toEqual({
      ModelName: name,
      ExecutionRoleArn: old.ExecutionRoleArn,
      PrimaryContainer: { Image: old.PrimaryContainer.Image, Mode: 'SingleModel', Environment: old.PrimaryContainer.Environment, ModelDataUrl: `s3://${BUCKET}/${key}` },
      EnableNetworkIsolation: true,
      Tags: [
        { Key: 'rookery:model', Value: 'penguins/1' },
        { Key: 'rookery:model-sha256', Value: archive.sha256 },
      ],
    });
    const oldConfig = aws.endpointConfigs.get('rookery-penguins-5f4e3d2c1b0a');
    const [createConfig] = aws.operations('sagemaker', 'CreateEndpointConfig');
    expect(createConfig.body).toMatchObject({
      EndpointConfigName: name,
      ProductionVariants: [{ ...oldConfig.ProductionVariants[0], ModelName: name, InitialInstanceCount: 1 }],
      DataCaptureConfig: oldConfig.DataCaptureConfig,
      KmsKeyId: oldConfig.KmsKeyId,
    });

    expect(aws.operations('cloudwatch', 'DescribeAlarms')[0].body).toEqual({ AlarmNames: ['rookery-penguins-5xx-errors', 'rookery-penguins-model-latency'] });
    const [update] = aws.operations('sagemaker', 'UpdateEndpoint');
    expect(update.body).toEqual({
      EndpointName: ENDPOINT,
      EndpointConfigName: name,
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 }, TerminationWaitInSeconds: 0, MaximumExecutionTimeoutInSeconds: 2100 },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'rookery-penguins-5xx-errors' }, { AlarmName: 'rookery-penguins-model-latency' }] },
      },
    });
    expect(aws.endpoints.get(ENDPOINT)!.configName).toBe(name);

    expect(lines[0]).toBe('rookery-penguins serves rookery-penguins-5f4e3d2c1b0a (model rookery-penguins-0a1b2c3d4e5f, 1 × ml.m5.large)');
    expect(lines).toContain(`uploading penguins/1 (${(archive.body.length / 1024).toFixed(1)} KiB) to s3://${BUCKET}/${key}`);
    expect(lines).toContain('updating rookery-penguins: blue/green, all traffic at once, then 300 s baking; rolls back if rookery-penguins-5xx-errors or rookery-penguins-model-latency fires (limit 35 min)');
    const progress = lines.filter((l) => /^\[\d\d:\d\d\] /.test(l)).map((l) => l.slice(8));
    expect(progress).toEqual([
      'Updating; new fleet AllTraffic: Creating 0/1 instances',
      'Updating; new fleet AllTraffic: ActivatingTraffic weight 0→1 1/1 instances',
      'Updating; new fleet AllTraffic: Baking weight 1→1 1/1 instances',
      'InService',
    ]);
    expect(lines.at(-1)).toBe(`deployed penguins/1: rookery-penguins is InService on ${name}`);
  });

  it('removes the rollout it replaces, never the stack’s own model and configuration', async () => {
    await deploy();
    const { outcome, lines } = await deploy({ model: version1 }, at('2024-05-02T08:00:00Z'));
    expect(outcome).toMatchObject({ status: 'deployed', previousConfig: 'rookery-penguins-r20240501120000' });
    expect(lines.at(-1)).toBe('removed unused model and endpoint configuration rookery-penguins-r20240501120000');
    expect([...aws.endpointConfigs.keys()].sort()).toEqual(['rookery-penguins-5f4e3d2c1b0a', 'rookery-penguins-r20240502080000']);
    expect([...aws.models.keys()].sort()).toEqual(['rookery-penguins-0a1b2c3d4e5f', 'rookery-penguins-r20240502080000']);
    // The same model content is the same object: uploaded again under the same key.
    expect([...aws.buckets.get(BUCKET)!.keys()]).toHaveLength(1);
  });

  it('reports a rollback when a rollback alarm fires during baking, and leaves the endpoint on its old configuration', async () => {
    aws.plan = 'alarm';
    const { outcome, lines } = await deploy();
    const reason = 'Deployment was rolled back because alarm(s) [rookery-penguins-5xx-errors] went into ALARM state.';
    expect(outcome).toEqual({ status: 'rolled-back', endpointConfig: 'rookery-penguins-r20240501120000', previousConfig: 'rookery-penguins-5f4e3d2c1b0a', reason });
    expect(aws.endpoints.get(ENDPOINT)!.configName).toBe('rookery-penguins-5f4e3d2c1b0a');
    expect(lines).toContain(`rolled back: ${reason}; rookery-penguins still serves rookery-penguins-5f4e3d2c1b0a`);
    expect(lines.at(-1)).toBe('removed unused model and endpoint configuration rookery-penguins-r20240501120000');
    expect(aws.models.has('rookery-penguins-r20240501120000')).toBe(false);
    expect(aws.endpointConfigs.has('rookery-penguins-r20240501120000')).toBe(false);
  });

  it('exits 1 from the command on a rollback and 0 on success', async () => {
    aws.plan = 'alarm';
    const lines: string[] = [];
    const argv = ['deploy', 'sagemaker', '--endpoint', ENDPOINT, '--model', version1, '--poll', '0.01'];
    // The command builds its clients from the standard chain; point that chain at the doubles.
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL: aws.url, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey });
    try {
      expect(await main(argv, commands, (l) => lines.push(l))).toBe(1);
      expect(lines.some((l) => l.startsWith('rolled back: Deployment was rolled back because alarm(s) [rookery-penguins-5xx-errors]'))).toBe(true);
      for (const alarm of aws.alarms.keys()) aws.alarms.set(alarm, 'OK');
      aws.plan = 'complete';
      expect(await main(argv, commands, (l) => lines.push(l))).toBe(0);
    } finally {
      for (const k of ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('copies a larger fleet’s size and sends a canary first', async () => {
    aws.seedEndpoint({ name: ENDPOINT, bucket: BUCKET, instances: 3 });
    const { outcome } = await deploy({ bake: '120', 'termination-wait': '60' });
    expect(outcome.status).toBe('deployed');
    expect(aws.operations('sagemaker', 'CreateEndpointConfig')[0].body.ProductionVariants[0].InitialInstanceCount).toBe(3);
    expect(aws.operations('sagemaker', 'UpdateEndpoint')[0].body.DeploymentConfig.BlueGreenUpdatePolicy).toEqual({
      TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 120 },
      TerminationWaitInSeconds: 60,
      MaximumExecutionTimeoutInSeconds: 1800 + 2 * 120 + 60,
    });
  });

  it('refuses to start when a rollback alarm is already firing, before creating anything', async () => {
    aws.alarms.set('rookery-penguins-model-latency', 'ALARM');
    await expect(deploy()).rejects.toThrow('rollback alarm rookery-penguins-model-latency is in ALARM now, so SageMaker would roll the update back at once: fix what it reports (or wait for it to clear) and deploy again');
    expect(aws.operations('sagemaker', 'CreateModel')).toHaveLength(0);
    expect(aws.buckets.get(BUCKET)!.size).toBe(0);
  });

  it('refuses endpoints that are busy, missing, or have no alarms to roll back on', async () => {
    aws.endpoints.get(ENDPOINT)!.status = 'Updating';
    await expect(deploy()).rejects.toThrow(/^SageMaker endpoint rookery-penguins is Updating, not InService: wait for the update in progress/);
    await expect(deploy({ endpoint: 'nope' })).rejects.toThrow('SageMaker endpoint nope does not exist in this region: deploy EndpointStack first (`npx cdk deploy EndpointStack`), or check --endpoint and --region');
    aws.seedEndpoint({ name: ENDPOINT, bucket: BUCKET, alarms: [] });
    await expect(deploy()).rejects.toThrow(/last deployment named no rollback alarms: pass --alarm NAME/);
    await expect(deploy({ alarm: ['missing-alarm'] })).rejects.toThrow('rollback alarm missing-alarm does not exist in this account and region; check --alarm');
    await expect(deploy({ traffic: 'canary' })).rejects.toMatchObject({ exitCode: 2 });
  });

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
      AWS_ENDPOINT_URL: aws.url,
      AWS_REGION: REGION,
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
    expect(aws.operations('sagemaker')).toHaveLength(0);
  });
});
