import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveArtifact } from '../../model/artifact.ts';
import { loadDataset } from '../../model/dataset.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, trainWithCrossValidation } from '../../model/train.ts';
import { buildModelArchive } from '../../model/archive.ts';
import { modelContentHash, modelFiles } from '../../model/content-hash.ts';
import { UserError } from '../../model/user-error.ts';
import { openRegistry } from '../../registry/open.ts';
import { readRegistrySettings } from '../../registry/settings.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { readAppConfig } from '../../stacks/config.ts';
import { EndpointStack, type EndpointStackProps } from '../../stacks/endpoint-stack.ts';
import { PipelineStack } from '../../stacks/pipeline-stack.ts';
import { addEndpointStack, prepareServedModel } from '../../stacks/support/endpoint-app.ts';
import { addNagChecks } from '../../stacks/support/nag.ts';
import { DOCKERFILE, IMAGE_SOURCES, REPO_ROOT } from '../../stacks/support/serving-image.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { MlflowDouble } from '../mlflow/mlflow-double.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const tempDir = useTempDirs('rookery-endpoint-stack-');

let work: string;
let registry: string;
let artifact: string;

/** Trains a real (small) model with the runtime and registers it as penguins@champion, version 1, in a temporary registry. */
beforeAll(async () => {
  work = tempDir();
  registry = join(work, 'registry');
  artifact = join(work, 'artifact');
  const data = loadDataset(DEFAULT_DATA_PATH, loadSchema(DEFAULT_SCHEMA_PATH));
  const result = trainWithCrossValidation(data, { ...DEFAULT_TRAIN_OPTIONS, folds: 2 });
  saveArtifact(artifact, result.params, { evaluation: result.evaluation, options: result.options, rows: data.size }, { example: data });
  await new LocalRegistry(registry).register('penguins', artifact, { alias: 'champion' });
});

/** What stacks/app.ts hands prepareServedModel, with the test's registry. */
function modelOptions(outdir: string, env: NodeJS.ProcessEnv = { ROOKERY_REGISTRY: registry }) {
  return { env, cwd: work, outdir };
}

/** EndpointStack as stacks/app.ts composes it: context read once, the model packed into the app's outdir. */
async function addEndpoint(app: App, props: Partial<EndpointStackProps> = {}): Promise<EndpointStack> {
  const config = readAppConfig(app.node);
  const model = await prepareServedModel(config.endpoint.model, modelOptions(app.outdir));
  // Environment-agnostic, as `cdk synth` builds it without credentials.
  return new EndpointStack(app, 'EndpointStack', { config: config.endpoint, retainData: config.context.retainData, model, ...props });
}

async function synth(context: Record<string, string> = {}, props: Partial<EndpointStackProps> = {}) {
  const app = new App({ outdir: join(tempDir(), 'cdk.out'), context });
  const stack = await addEndpoint(app, props);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The resource of the construct `construct` (e.g. stack.bucket) in the stack's template. */
function resourceOf(stack: EndpointStack, template: Template, construct: { node: { defaultChild?: unknown } }): any {
  return template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as any)];
}

function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found, type).toHaveLength(1);
  return found[0];
}

function statements(template: Template): any[] {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('ExecutionRole'));
  expect(policies).toHaveLength(1);
  return (policies[0][1] as any).Properties.PolicyDocument.Statement;
}

/** Names of the entries in a tar archive (POSIX ustar headers). */
function tarEntries(tar: Buffer): string[] {
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = tar.subarray(offset, offset + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(tar.subarray(offset + 124, offset + 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    names.push(name);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

describe('EndpointStack with its defaults', () => {
  let app: App;
  let stack: EndpointStack;
  let template: Template;
  beforeAll(async () => {
    ({ app, stack, template } = await synth());
  });

  it('serves the local registry champion from the image built from container/Dockerfile', () => {
    const model = only(template, 'AWS::SageMaker::Model').Properties;
    expect(model.PrimaryContainer.Image['Fn::Sub']).toBe(
      `\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/cdk-hnb659fds-container-assets-\${AWS::AccountId}-\${AWS::Region}:${stack.image.assetHash}`,
    );
    expect(model.PrimaryContainer.ModelDataUrl).toEqual({ 'Fn::Sub': `s3://cdk-hnb659fds-assets-\${AWS::AccountId}-\${AWS::Region}/${stack.modelData.assetHash}.gz` });
    expect(model.PrimaryContainer.Mode).toBe('SingleModel');
    expect(model.PrimaryContainer.Environment).toEqual({ MODEL_DIR: '/opt/ml/model', DATA_CAPTURE: 'false' });
    expect(model.EnableNetworkIsolation).toBe(true);
    expect(model.ModelName).toMatch(/^rookery-penguins-[0-9a-f]{12}$/);
    expect(model.Tags).toContainEqual({ Key: 'rookery:model', Value: 'penguins/1' });
    expect(stack.model.origin).toBe('penguins@champion (version 1) from the local registry');
  });

  it('packs the model as a gzip tar with the MLflow layout at its root, and stages exactly that file', () => {
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'EndpointStack.assets.json'), 'utf8'));
    const file = manifest.files[stack.modelData.assetHash];
    expect(file.source.packaging).toBe('file');
    const staged = readFileSync(join(assembly.directory, file.source.path));
    const entries = tarEntries(gunzipSync(staged));
    expect(entries).toEqual(expect.arrayContaining(['MLmodel', 'model.json', 'input_example.json', 'serving_input_example.json', 'metrics.json']));
    expect(entries).not.toContain('version.json');
    expect(staged.equals(buildModelArchive(join(registry, 'penguins', 'versions', '1')).body)).toBe(true);
    expect(stack.model.archivePath.startsWith(app.outdir)).toBe(true);
  });

  it('stages as the image build context exactly what the Dockerfile copies', () => {
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'EndpointStack.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages) as any[];
    expect(images).toHaveLength(1);
    expect(images[0].source).toMatchObject({ dockerFile: DOCKERFILE, platform: 'linux/amd64' });
    const context = join(assembly.directory, images[0].source.directory);
    const copied = readFileSync(join(REPO_ROOT, DOCKERFILE), 'utf8')
      .split('\n')
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
      .flatMap((line) => line.trim().split(/\s+/).slice(1, -1))
      .map((source) => source.replace(/\/$/, ''));
    expect(copied.length).toBeGreaterThan(0);
    for (const source of copied) expect(existsSync(join(context, source)), source).toBe(true);
    expect([...copied].sort()).toEqual([...IMAGE_SOURCES].sort());
    const top = readdirSync(context).filter((e) => !e.startsWith('.')).sort();
    expect(top).toEqual(['container', 'data', 'model', 'package-lock.json', 'package.json', 'scripts']);
    expect(readdirSync(join(context, 'data')).sort()).toEqual(['penguins.csv', 'penguins.schema.json']);
  });

  it('runs one variant on one ml.m5.large and captures every request and answer, JSON and CSV, into the stack bucket with the stack key', () => {
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as any), 'Arn'] };
    expect(config.ProductionVariants).toEqual([
      { VariantName: 'AllTraffic', ModelName: only(template, 'AWS::SageMaker::Model').Properties.ModelName, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ]);
    expect(config.DataCaptureConfig).toEqual({
      EnableCapture: true,
      InitialSamplingPercentage: 100,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { JsonContentTypes: ['application/json'], CsvContentTypes: ['text/csv'] },
      DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: stack.getLogicalId(stack.bucket.node.defaultChild as any) }, '/capture']] },
      KmsKeyId: keyArn,
    });
    expect(config.KmsKeyId).toEqual(keyArn);
  });

  it('creates the endpoint with a guarded blue/green update policy that the two alarms roll back', () => {
    const endpoint = only(template, 'AWS::SageMaker::Endpoint').Properties;
    expect(endpoint.EndpointName).toBe('rookery-penguins');
    expect(endpoint.EndpointConfigName).toEqual({ 'Fn::GetAtt': ['EndpointConfig', 'EndpointConfigName'] });
    expect(endpoint.DeploymentConfig).toEqual({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 },
        TerminationWaitInSeconds: 0,
        MaximumExecutionTimeoutInSeconds: 2100,
      },
      AutoRollbackConfiguration: {
        Alarms: [{ AlarmName: { Ref: stack.getLogicalId(stack.alarms.errors.node.defaultChild as any) } }, { AlarmName: { Ref: stack.getLogicalId(stack.alarms.latency.node.defaultChild as any) } }],
      },
    });
  });

  it('alarms on 5xx errors and on model latency of the variant', () => {
    const dims = [
      { Name: 'EndpointName', Value: 'rookery-penguins' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'rookery-penguins-5xx-errors',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: dims,
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'rookery-penguins-model-latency',
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: dims,
      Statistic: 'Average',
      Period: 60,
      // microseconds
      Threshold: 500_000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
  });

  it('scales the variant on invocations per instance between 1 and 2 instances', () => {
    const target = only(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target.Properties).toEqual({
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/rookery-penguins/variant/AllTraffic',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 2,
    });
    // Registered only once the endpoint exists; Application Auto Scaling's service-linked role, not a role of ours.
    expect(target.DependsOn).toContain('Endpoint');
    expect(target.Properties.RoleARN).toBeUndefined();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: stack.getLogicalId(stack.scalableTarget!) },
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 600,
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      },
    });
  });

  it('encrypts the bucket with a rotating key of its own, blocks public access, requires TLS, keeps versions and access logs, and empties it on destroy', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('AWS::S3::Bucket', 2);
    const bucket = resourceOf(stack, template, stack.bucket);
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: stack.getLogicalId(stack.accessLogs.node.defaultChild as any) }, LogFilePrefix: 'data/' });
    // S3 delivers access logs only to an SSE-S3 bucket, under a bucket policy for the logging service from this bucket only.
    const logs = resourceOf(stack, template, stack.accessLogs);
    expect(logs.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]);
    expect(logs.Properties.AccessControl).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [stack.getLogicalId(stack.bucket.node.defaultChild as any), 'Arn'] } } }) }),
        ]),
      },
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as any), 'Arn'] } }, BucketKeyEnabled: true },
    ]);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.DeletionPolicy).toBe('Delete');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    expect(only(template, 'AWS::KMS::Key').DeletionPolicy).toBe('Delete');
    // The endpoint goes before the bucket is emptied, so no capture lands in a bucket being deleted.
    expect(only(template, 'AWS::SageMaker::Endpoint').DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^DataBucketAutoDeleteObjectsCustomResource/)]));
    // A year and the stack's key (Control Tower's CT.CLOUDWATCH.PR.2 and PR.3), which CloudWatch Logs may use for this account's log groups only.
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as any), 'Arn'] };
    template.hasResource('AWS::Logs::LogGroup', { Properties: { LogGroupName: '/aws/sagemaker/Endpoints/rookery-penguins', RetentionInDays: 365, KmsKeyId: keyArn }, DeletionPolicy: 'Delete' });
    const keyPolicy = only(template, 'AWS::KMS::Key').Properties.KeyPolicy.Statement;
    expect(keyPolicy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } }, Condition: { ArnLike: expect.anything() } }),
        // Only AWS services may get grants on it (CT.KMS.PR.3): SageMaker's volume encryption still does.
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
        },
      ]),
    );
  });

  it('limits the execution role to that image, that artifact, the models, capture and batch prefixes, the key, its log group and its alarms', () => {
    const role = template.toJSON().Resources[stack.getLogicalId(stack.executionRole.node.defaultChild as any)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const resolve = (value: unknown) => stack.resolve(value);
    const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.bucket.node.defaultChild as any), 'Arn'] };
    const bySid: Record<string, any> = Object.fromEntries(statements(template).map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual([
      'CreateTransformLogGroup', 'EcrLogin', 'ListBatchInput', 'PublishInstanceMetrics', 'PullServingImage', 'ReadBatchInput', 'ReadModelArtifacts', 'ReadRollbackAlarms', 'UseDataKey', 'WriteBatchScores', 'WriteDataCapture', 'WriteEndpointLogs', 'WriteTransformLogs',
    ]);
    for (const s of Object.values(bySid)) expect(s.Effect).toBe('Allow');

    expect(bySid.PullServingImage).toMatchObject({ Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: resolve(stack.image.repository.repositoryArn) });
    // The two statements whose APIs take no resource ARN.
    expect(bySid.EcrLogin).toEqual({ Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' });
    expect(bySid.PublishInstanceMetrics).toEqual({
      Sid: 'PublishInstanceMetrics',
      Effect: 'Allow',
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } },
    });
    expect(bySid.ReadModelArtifacts).toMatchObject({
      Action: 's3:GetObject',
      Resource: [resolve(stack.modelData.bucket.arnForObjects(stack.modelData.s3ObjectKey)), { 'Fn::Join': ['', [bucketArn, '/models/*']] }],
    });
    expect(JSON.stringify(bySid.ReadModelArtifacts.Resource[0])).toContain(`/${stack.modelData.assetHash}.gz`);
    expect(bySid.WriteDataCapture).toMatchObject({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [bucketArn, '/capture/*']] } });
    // Batch Transform with this model: list and read batch/, write batch-scores/ (SageMaker uploads outputs in parts).
    expect(bySid.ListBatchInput).toEqual({ Sid: 'ListBatchInput', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': 'batch/*' } } });
    expect(bySid.ReadBatchInput).toEqual({ Sid: 'ReadBatchInput', Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [bucketArn, '/batch/*']] } });
    expect(bySid.WriteBatchScores).toEqual({ Sid: 'WriteBatchScores', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Join': ['', [bucketArn, '/batch-scores/*']] } });
    expect(bySid.UseDataKey).toMatchObject({ Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], Resource: resolve(stack.key.keyArn) });
    expect(bySid.WriteEndpointLogs.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointLogs/), 'Arn'] });
    // Transform jobs log to SageMaker's own group: that group, and only rookery-score- jobs' streams in it.
    const transformGroup = (suffix: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:log-group:/aws/sagemaker/TransformJobs${suffix}`]],
    });
    expect(bySid.CreateTransformLogGroup).toEqual({ Sid: 'CreateTransformLogGroup', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'], Resource: transformGroup(':*') });
    expect(bySid.WriteTransformLogs).toEqual({ Sid: 'WriteTransformLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: transformGroup(':log-stream:rookery-score-*') });
    expect(bySid.ReadRollbackAlarms).toMatchObject({ Action: 'cloudwatch:DescribeAlarms', Resource: [resolve(stack.alarms.errors.alarmArn), resolve(stack.alarms.latency.alarmArn)] });
    for (const s of Object.values(bySid)) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
      if (s.Resource === '*') expect(['EcrLogin', 'PublishInstanceMetrics']).toContain(s.Sid);
    }
    // The model waits for its role's policy: SageMaker checks image and artifact access on CreateModel.
    expect(only(template, 'AWS::SageMaker::Model').DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ExecutionRoleDefaultPolicy/)]));
  });

  it('publishes what the CLI needs as outputs', () => {
    const outputs = template.toJSON().Outputs;
    for (const name of ['EndpointName', 'ServedModel', 'DataBucketName', 'CaptureUri', 'GroundTruthUri', 'ModelsUri', 'BatchInputUri', 'BatchScoresUri', 'ExecutionRoleArn', 'ImageUri', 'AlarmNames']) {
      expect(outputs[name], name).toBeDefined();
    }
    const bucketName = { Ref: stack.getLogicalId(stack.bucket.node.defaultChild as any) };
    expect(outputs.BatchInputUri.Value).toEqual({ 'Fn::Join': ['', ['s3://', bucketName, '/batch/']] });
    expect(outputs.BatchScoresUri.Value).toEqual({ 'Fn::Join': ['', ['s3://', bucketName, '/batch-scores/']] });
    expect(outputs.AlarmNames.Value).toBe('rookery-penguins-5xx-errors,rookery-penguins-model-latency');
    // What was served, without the machine's paths: the same model reads the same everywhere.
    expect(outputs.ServedModel.Value).toBe(`penguins@champion (version 1) from the local registry, content sha256 ${stack.model.sha256.slice(0, 12)}`);
    expect(outputs.ServedModel.Value).not.toContain(registry);
  });
});

describe('EndpointStack context', () => {
  it('takes instance type, counts, sampling, thresholds and the endpoint name from context', async () => {
    const { template } = await synth({
      endpointName: 'penguins-prod',
      endpointInstanceType: 'ml.c5.xlarge',
      endpointInstanceCount: '2',
      endpointMinInstances: '2',
      endpointMaxInstances: '6',
      endpointInvocationsPerInstance: '1200',
      captureSamplingPercentage: '20',
      latencyAlarmMs: '250',
      errorAlarmCount: '5',
      bakeSeconds: '600',
    });
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    expect(config.ProductionVariants[0]).toMatchObject({ InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 });
    expect(config.DataCaptureConfig.InitialSamplingPercentage).toBe(20);
    expect(only(template, 'AWS::ApplicationAutoScaling::ScalableTarget').Properties).toMatchObject({ MinCapacity: 2, MaxCapacity: 6, ResourceId: 'endpoint/penguins-prod/variant/AllTraffic' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 1200 }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'penguins-prod-model-latency', Threshold: 250_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'penguins-prod-5xx-errors', Threshold: 5 });
    const endpoint = only(template, 'AWS::SageMaker::Endpoint').Properties;
    expect(endpoint.EndpointName).toBe('penguins-prod');
    expect(endpoint.DeploymentConfig.BlueGreenUpdatePolicy).toMatchObject({ TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 600 }, MaximumExecutionTimeoutInSeconds: 2400 });
    expect(only(template, 'AWS::SageMaker::Model').Properties.ModelName).toMatch(/^penguins-prod-/);
  });

  it('keeps the bucket, key and logs with retainData=true, and turns autoscaling off when min equals max', async () => {
    const { template } = await synth({ retainData: 'true', endpointMinInstances: '1', endpointMaxInstances: '1' });
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) expect(bucket.DeletionPolicy).toBe('Retain');
    expect(only(template, 'AWS::KMS::Key').DeletionPolicy).toBe('Retain');
    expect(only(template, 'AWS::Logs::LogGroup').DeletionPolicy).toBe('Retain');
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 0);
  });

  it('leaves the storage-volume key out for instance types with NVMe instance storage, and still encrypts the captures', async () => {
    const { template } = await synth({ endpointInstanceType: 'ml.g4dn.xlarge' });
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    expect(config.KmsKeyId).toBeUndefined();
    expect(config.DataCaptureConfig.KmsKeyId).toBeDefined();
  });

  it('serves a model directory or a pinned registry version given with -c model', async () => {
    const fromDir = await synth({ model: artifact });
    expect(fromDir.stack.model).toMatchObject({ origin: 'the model directory artifact' });
    const pinned = await synth({ model: 'models:/penguins/1' });
    expect(pinned.stack.model).toMatchObject({ name: 'penguins', version: 1 });
    // Same files, same archive, same asset: nothing is re-uploaded.
    expect(fromDir.stack.model.sha256).toBe(pinned.stack.model.sha256);
    expect(fromDir.stack.modelData.assetHash).toBe(pinned.stack.modelData.assetHash);
  });

  it.each([
    [{ endpointInstanceType: 'm5.large' }, /-c endpointInstanceType=m5.large is not valid: expected a SageMaker instance type like ml.m5.large/],
    [{ captureSamplingPercentage: '101' }, /-c captureSamplingPercentage=101 is not valid: expected a whole number from 0 to 100/],
    [{ endpointMinInstances: '3', endpointMaxInstances: '2' }, /-c endpointMaxInstances=2 is not valid: must be at least endpointMinInstances \(3\)/],
    [{ endpointInstanceCount: '4', endpointMinInstances: '1', endpointMaxInstances: '3' }, /-c endpointInstanceCount=4 is not valid: must lie between endpointMinInstances \(1\) and endpointMaxInstances \(3\)/],
    [{ endpointName: 'not_valid!' }, /-c endpointName=not_valid! is not valid/],
    [{ model: '/no/such/dir' }, /-c model=\/no\/such\/dir is not valid: .*no such (directory|folder)/],
    [{ model: 'models:/penguins@staging' }, /no penguins@staging in the local registry .*; run `npm start` or `rookery train`/],
  ])('rejects %j with a message naming the key', async (context, message) => {
    await expect(synth(context)).rejects.toThrow(message);
    await expect(synth(context)).rejects.toThrow(UserError);
  });
});

describe('choosing the model', () => {
  it('fails clearly when there is no context model and no local champion', async () => {
    const empty = tempDir();
    await expect(prepareServedModel(undefined, modelOptions(tempDir(), { ROOKERY_REGISTRY: join(empty, 'registry') }))).rejects.toThrow(
      `-c model=models:/penguins@champion (the default) is not valid: no penguins@champion in the local registry ${join(empty, 'registry')}; run \`npm start\` or \`rookery train\` to train and register one`,
    );
  });

  it('takes the latest version for a bare name, and a directory must hold an MLmodel file', async () => {
    expect(await prepareServedModel('models:/penguins', modelOptions(tempDir()))).toMatchObject({ name: 'penguins', version: 1 });
    const notModel = tempDir();
    writeFileSync(join(notModel, 'README'), 'x');
    await expect(prepareServedModel(notModel, modelOptions(tempDir()))).rejects.toThrow(/holds no model: expected an MLmodel file/);
  });

  it('lets the rest of the app synthesize when there is no model yet: the stand-in EndpointStack carries the reason as an error', async () => {
    const app = new App({ outdir: join(tempDir(), 'cdk.out'), context: { model: 'models:/penguins@staging' } });
    const config = readAppConfig(app.node);
    const stack = await addEndpointStack(app, 'EndpointStack', { config: config.endpoint }, () => prepareServedModel(config.endpoint.model, modelOptions(app.outdir)));
    expect(stack).not.toBeInstanceOf(EndpointStack);
    Annotations.fromStack(stack).hasError('*', Match.stringLikeRegexp('-c model=models:/penguins@staging is not valid: no penguins@staging in the local registry .*; run `npm start` or `rookery train`'));
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
    const okApp = new App({ outdir: join(tempDir(), 'cdk.out') });
    const ok = await addEndpointStack(okApp, 'EndpointStack', { config: readAppConfig(okApp.node).endpoint }, () => prepareServedModel(undefined, modelOptions(okApp.outdir)));
    expect(ok).toBeInstanceOf(EndpointStack);
  });

  it('resolves registry references through MLflow when MLFLOW_TRACKING_URI is set, and reads a directory in place', async () => {
    const mlflow = await MlflowDouble.start();
    try {
      const env = { MLFLOW_TRACKING_URI: mlflow.uri, ROOKERY_CACHE: join(tempDir(), 'cache') };
      await openRegistry(readRegistrySettings(env)).register('penguins', artifact, { alias: 'champion' });
      expect(await prepareServedModel(artifact, modelOptions(tempDir(), env))).toMatchObject({ origin: 'the model directory artifact' });

      const app = new App({ outdir: join(tempDir(), 'cdk.out') });
      const config = readAppConfig(app.node);
      const stack = await addEndpointStack(app, 'EndpointStack', { config: config.endpoint }, () => prepareServedModel(undefined, modelOptions(app.outdir, env)));
      expect(stack).toBeInstanceOf(EndpointStack);
      const served = (stack as EndpointStack).model;
      expect(served).toMatchObject({ name: 'penguins', version: 1 });
      expect(served.origin).toBe('penguins@champion (version 1) from MLflow');
      expect(served.sha256).toBe((await prepareServedModel(artifact, modelOptions(tempDir()))).sha256);

      await expect(prepareServedModel('models:/penguins@staging', modelOptions(tempDir(), env))).rejects.toThrow(/^-c model=models:\/penguins@staging is not valid: /);
    } finally {
      await mlflow.close();
    }
  });

  it('never asks MLflow about a model directory', async () => {
    // Nothing listens on port 9 (discard) here; a request would fail the call.
    const served = await prepareServedModel(artifact, modelOptions(tempDir(), { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' }));
    expect(served.sha256).toBe(modelContentHash(modelFiles(artifact)));
  });

  it('writes one archive per model content into the cloud assembly folder', async () => {
    const outdir = tempDir();
    const first = await prepareServedModel(artifact, modelOptions(outdir));
    const again = await prepareServedModel(artifact, modelOptions(outdir));
    expect(again.archivePath).toBe(first.archivePath);
    expect(first.archivePath).toBe(join(outdir, `model-${first.sha256.slice(0, 12)}.tar.gz`));
    expect(readdirSync(outdir)).toHaveLength(1);
    const changed = join(tempDir(), 'model');
    mkdirSync(changed);
    for (const f of readdirSync(artifact)) writeFileSync(join(changed, f), readFileSync(join(artifact, f)));
    writeFileSync(join(changed, 'metrics.json'), '{}\n');
    expect((await prepareServedModel(changed, modelOptions(outdir))).sha256).not.toBe(first.sha256);
  });
});

describe('cdk-nag AwsSolutions', () => {
  for (const [name, context] of [
    ['defaults', {}],
    ['retained data, no autoscaling', { retainData: 'true', endpointMaxInstances: '1' }],
  ] as const) {
    it(`has no unacknowledged findings (${name}), and each acknowledgement says why`, async () => {
      const app = new App({ outdir: join(tempDir(), 'cdk.out'), context });
      const stack = await addEndpoint(app);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);

      const acknowledged = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((m) => Object.entries(m.data as Record<string, string>));
      expect(acknowledged.map(([id]) => id.replace(/^[^:]+::/, '').replace(/<DataBucket[0-9A-F]+\.Arn>/, '<bucket>')).sort()).toEqual([
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::<bucket>/batch-scores/*]',
        'AwsSolutions-IAM5[Resource::<bucket>/batch/*]',
        'AwsSolutions-IAM5[Resource::<bucket>/capture/*]',
        'AwsSolutions-IAM5[Resource::<bucket>/models/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/TransformJobs:*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/TransformJobs:log-stream:rookery-score-*]',
        'AwsSolutions-S1',
      ]);
      for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(80);
    });
  }
});

describe('EndpointStack feeding PipelineStack', () => {
  it('hands the pipeline the endpoint, capture and ground-truth locations and what its deploy job needs', async () => {
    const app = new App({
      outdir: join(tempDir(), 'cdk.out'),
      context: {
        mlflowTrackingUri: 'https://mlflow.example.com',
        mlflowSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rookery-mlflow-admin-AbCdEf`,
      },
    });
    const endpoint = await addEndpoint(app);
    const pipeline = new PipelineStack(app, 'PipelineStack', { config: readAppConfig(app.node).pipeline, endpoint: endpoint.target, image: ecs.ContainerImage.fromRegistry('rookery:test') });
    expect(endpoint.target).toMatchObject({ endpointName: 'rookery-penguins', captureBucket: endpoint.bucket, executionRole: endpoint.executionRole });
    expect(endpoint.target.captureUri).toBe(endpoint.captureUri);
    expect(endpoint.target.groundTruthUri).toBe(endpoint.groundTruthUri);
    const policies = JSON.stringify(Template.fromStack(pipeline).findResources('AWS::IAM::Policy'));
    for (const action of ['iam:PassRole', 's3:PutObject', 'kms:CreateGrant', 'cloudwatch:DescribeAlarms', 'sagemaker:UpdateEndpoint']) expect(policies).toContain(action);
    expect(policies).toContain('"iam:PassedToService":"sagemaker.amazonaws.com"');
  });

  const MONITORING = { enableMonitoring: 'true' };
  const BATCH_SCORING = { batchScoring: 'rate(1 day)', batchInput: 's3://rookery-batch-123/batch/' };
  for (const [variant, extra] of [['', {}], [' with monitoring', MONITORING], [' with monitoring and batch scoring', { ...MONITORING, ...BATCH_SCORING }]] as const) {
    const monitoring = 'enableMonitoring' in extra;
    it(`passes cdk-nag wired as in stacks/app.ts${variant}, its wildcards only the endpoint bucket's prefixes`, async () => {
      const wire = async (checks: 'rookery' | 'plain') => {
        const app = new App({
          outdir: join(tempDir(), 'cdk.out'),
          context: {
            mlflowTrackingUri: 'https://mlflow.example.com',
            mlflowSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rookery-mlflow-admin-AbCdEf`,
            ...extra,
          },
        });
        if (checks === 'rookery') addNagChecks(app);
        else Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
        const endpoint = await addEndpoint(app);
        const pipeline = new PipelineStack(app, 'PipelineStack', { config: readAppConfig(app.node).pipeline, endpoint: endpoint.target, image: ecs.ContainerImage.fromRegistry('rookery:test') });
        return { app, pipeline };
      };
      const { app, pipeline } = await wire('rookery');
      expect(() => app.synth()).not.toThrow();
      // The wildcards themselves: only these prefixes of EndpointStack's bucket (an import in PipelineStack).
      const wildcards = Object.values(Template.fromStack(pipeline).findResources('AWS::IAM::Policy'))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
        .flatMap((st: any) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
        .map((r: any) => JSON.stringify(r))
        .filter((r: string) => r.includes('ImportValue') && r.includes('*'));
      const suffixes = wildcards.map((r: string) => /"([^"]*\*)"\]\]\}$/.exec(r)?.[1]).sort();
      // With monitoring, the batch prefixes too: transform jobs run from the CLI capture beside the endpoint, naming objects there.
      expect(suffixes).toEqual(monitoring ? ['/batch-scores/*', '/batch/*', '/capture*', '/ground-truth*', '/models/*'] : ['/models/*']);
      // Without rookery's checks the same findings are reported: the acknowledgements are what lets synth pass.
      const plain = (await wire('plain')).app;
      expect(() => plain.synth()).toThrow(/AwsSolutions-IAM5\[Resource::EndpointStack:ExportsOutput[^\]]*\/models\/\*\]/);
    });
  }
});
