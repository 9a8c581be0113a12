import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { readAppConfig } from '../../stacks/config.ts';
import { MLFLOW_TLS_PORT } from '../../stacks/constructs/mlflow-server.ts';
import { MlflowStack } from '../../stacks/mlflow-stack.ts';
import { PipelineStack } from '../../stacks/pipeline-stack.ts';
import { addNagChecks } from '../../stacks/support/nag.ts';
import { ACCOUNT, ENDPOINT, MLFLOW_SECRET_ARN, REGION, STANDALONE_CONTEXT, synthPipeline } from '../pipeline/definition.ts';

const MONITORING = {
  enableMonitoring: 'true',
  captureUri: 's3://rookery-capture-123/data-capture/rookery-penguins',
  groundTruthUri: 's3://rookery-capture-123/ground-truth',
};

function jobDefinition(template: Template, command: string): any {
  const defs = Object.values(template.findResources('AWS::Batch::JobDefinition')) as any[];
  const found = defs.find((d) => d.Properties.ContainerProperties.Command.slice(0, command.split(' ').length).join(' ') === command);
  if (!found) throw new Error(`no job definition runs '${command}'`);
  return found;
}

function resources(container: any): Record<string, string> {
  return Object.fromEntries(container.ResourceRequirements.map((r: any) => [r.Type, r.Value]));
}

describe('PipelineStack with its defaults', () => {
  let template: Template;
  let json: any;
  beforeAll(() => {
    template = synthPipeline().template;
    json = template.toJSON();
  });

  it('runs jobs on on-demand Fargate in a queue, in public subnets without a NAT gateway', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      Type: 'managed',
      ComputeResources: Match.objectLike({ Type: 'FARGATE', MaxvCpus: 4, Subnets: Match.anyValue(), SecurityGroupIds: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      ComputeEnvironmentOrder: [{ ComputeEnvironment: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ComputeEnvironment'), 'ComputeEnvironmentArn'] }, Order: 1 }],
      Priority: 1,
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.absent() });
    for (const def of Object.values(template.findResources('AWS::Batch::JobDefinition')) as any[]) {
      expect(def.Properties.PlatformCapabilities).toEqual(['FARGATE']);
      expect(def.Properties.ContainerProperties.NetworkConfiguration).toEqual({ AssignPublicIp: 'ENABLED' });
    }
  });

  it('defines a training job that runs the image’s train command with the pipeline’s flags', () => {
    const train = jobDefinition(template, 'train').Properties;
    expect(train.ContainerProperties.Command).toEqual([
      'train', '--no-register', '--name', 'penguins',
      '--accuracy-threshold', 'Ref::accuracyThreshold', '--out', 'Ref::artifactUri', '--result', 'Ref::resultUri',
    ]);
    expect(train.Parameters.accuracyThreshold).toBe('0.7');
    expect(resources(train.ContainerProperties)).toEqual({ VCPU: '1', MEMORY: '2048' });
    expect(train.Timeout).toEqual({ AttemptDurationSeconds: 3600 });
    expect(train.RetryStrategy.EvaluateOnExit.at(-1)).toEqual({ Action: 'EXIT', OnReason: '*' });
    expect(jobDefinition(template, 'models register').Properties.ContainerProperties.Command).toContain('--alias');
    expect(jobDefinition(template, 'deploy sagemaker').Properties.ContainerProperties.Command).toEqual([
      'deploy', 'sagemaker', '--endpoint', ENDPOINT, '--model', 'Ref::modelRef',
    ]);
  });

  it('gives every job MLflow’s URI and user in plain environment and the password only from Secrets Manager', () => {
    for (const def of Object.values(template.findResources('AWS::Batch::JobDefinition')) as any[]) {
      const container = def.Properties.ContainerProperties;
      const env = Object.fromEntries(container.Environment.map((e: any) => [e.Name, e.Value]));
      expect(env).toMatchObject({ MLFLOW_TRACKING_URI: 'https://mlflow.example.com', MLFLOW_TRACKING_USERNAME: 'admin', AWS_REGION: REGION });
      expect(Object.keys(env).filter((k) => /PASSWORD|TOKEN|SECRET/i.test(k))).toEqual([]);
      // MlflowStack's secret is the bare password; a JSON secret names its field (below).
      expect(container.Secrets).toEqual([{ Name: 'MLFLOW_TRACKING_PASSWORD', ValueFrom: MLFLOW_SECRET_ARN }]);
    }
    // Only the shared execution role may read the secret, and only that secret.
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'),
    ) as any[];
    expect(readers).toHaveLength(1);
    expect(readers[0].Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^JobExecutionRole/) }]);
  });

  it('gives each job and the state machine a log group kept a year and encrypted with the stack’s key, removed with the stack', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    // train, register, deploy, the state machine and the VPC flow log
    expect(Object.keys(groups)).toHaveLength(5);
    const [key] = Object.keys(template.findResources('AWS::KMS::Key'));
    for (const group of Object.values(groups) as any[]) {
      // Control Tower's CT.CLOUDWATCH.PR.2 and PR.3 (test/stacks/guard.test.ts runs the rules).
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
      expect(group.DeletionPolicy).toBe('Delete');
    }
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
    for (const def of Object.values(template.findResources('AWS::Batch::JobDefinition')) as any[]) {
      expect(def.Properties.ContainerProperties.LogConfiguration).toMatchObject({ LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: expect.stringMatching(/Logs/) } } });
    }
  });

  it('has a state machine with a timeout, full logging and X-Ray tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.objectLike({ CloudWatchLogsLogGroup: Match.anyValue() })] },
      TracingConfiguration: { Enabled: true },
    });
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"TimeoutSeconds\\":10800');
    template.hasOutput('StateMachineArn', { Value: { Ref: Match.stringLikeRegexp('^StateMachine') } });
  });

  it('lets the state machine stop and read Batch jobs and read only its own run results', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) =>
      p.Properties.Roles.some((r: any) => /^StateMachineRole/.test(r.Ref)),
    ) as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'batch:DescribeJobs', Resource: '*' }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'batch:TerminateJob' }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 's3:getObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^RunsBucket/), 'Arn'] }, '/runs/*']] } }));
    expect(JSON.stringify(statements)).not.toMatch(/s3:\*|s3:Put|s3:Delete/);
  });

  it('has no schedule, monitoring job, alarm or retrain rule', () => {
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(() => jobDefinition(template, 'pipeline monitor')).toThrow();
  });

  it('removes everything on cdk destroy: no resource is retained', () => {
    for (const [id, resource] of Object.entries(json.Resources) as [string, any][]) {
      expect([undefined, 'Delete'], `${id} (${resource.Type}) DeletionPolicy`).toContain(resource.DeletionPolicy);
      expect([undefined, 'Delete'], `${id} (${resource.Type}) UpdateReplacePolicy`).toContain(resource.UpdateReplacePolicy);
    }
    // The bucket is emptied first, so CloudFormation can delete it.
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });
});

describe('PipelineStack context', () => {
  it('uses Fargate Spot and the job sizes given in context', () => {
    const { template } = synthPipeline({ batchSpot: 'true', trainingVcpus: '2', trainingMemoryMiB: '4096', trainingTimeoutMinutes: '90', batchMaxvCpus: '8' });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', { ComputeResources: Match.objectLike({ Type: 'FARGATE_SPOT', MaxvCpus: 8 }) });
    const train = jobDefinition(template, 'train').Properties;
    expect(resources(train.ContainerProperties)).toEqual({ VCPU: '2', MEMORY: '4096' });
    expect(train.Timeout).toEqual({ AttemptDurationSeconds: 5400 });
  });

  it('refuses sizes Fargate cannot run, naming the key and the allowed values', () => {
    expect(() => synthPipeline({ trainingVcpus: '3' })).toThrow(/trainingVcpus=3 is not a Fargate size; use one of 0.25, 0.5, 1, 2, 4, 8, 16/);
    expect(() => synthPipeline({ trainingVcpus: '1', trainingMemoryMiB: '1024' })).toThrow(/trainingMemoryMiB=1024 does not fit 1 vCPU on Fargate; use 2048 to 8192 in steps of 1024/);
    expect(() => synthPipeline({ trainingSchedule: 'every week' })).toThrow(/trainingSchedule="every week" is not an EventBridge schedule/);
    expect(() => synthPipeline({ batchSpot: 'yes' })).toThrow(UserError);
  });

  it('starts the pipeline on the training schedule', () => {
    const { template } = synthPipeline({ trainingSchedule: 'rate(7 days)' });
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(7 days)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^StateMachine') }, Input: '{"trigger":"schedule"}' })],
    });
  });

  it('reads the password from a JSON secret’s field when told which', () => {
    const train = jobDefinition(synthPipeline({ mlflowSecretField: 'password' }).template, 'train').Properties.ContainerProperties;
    expect(train.Secrets).toEqual([{ Name: 'MLFLOW_TRACKING_PASSWORD', ValueFrom: `${MLFLOW_SECRET_ARN}:password::` }]);
  });

  it('says what is missing when MLflow is neither wired nor in context, and defaults the endpoint as EndpointStack does', () => {
    expect(() => synthPipeline({ mlflowTrackingUri: '' })).toThrow(/needs MLflow: .* -c mlflowTrackingUri=/);
    expect(() => synthPipeline({ mlflowSecretArn: 'mlflow-admin' })).toThrow(/mlflowSecretArn="mlflow-admin" is not a Secrets Manager secret ARN/);
    const deploy = jobDefinition(synthPipeline({ endpointName: '' }).template, 'deploy sagemaker').Properties.ContainerProperties;
    expect(deploy.Command).toContain('rookery-penguins');
  });
});

describe('PipelineStack with monitoring on', () => {
  let template: Template;
  beforeAll(() => {
    template = synthPipeline(MONITORING).template;
  });

  it('runs `rookery pipeline monitor` on the captured data on a schedule, with its own resources and log group', () => {
    const monitor = jobDefinition(template, 'pipeline monitor').Properties;
    expect(monitor.ContainerProperties.Command).toEqual([
      'pipeline', 'monitor', '--endpoint', ENDPOINT,
      '--datastore', MONITORING.captureUri, '--ground-truth', MONITORING.groundTruthUri,
      '--report', { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^RunsBucket/) }, '/monitoring']] },
      '--namespace', 'Rookery/Monitoring',
    ]);
    expect(resources(monitor.ContainerProperties)).toEqual({ VCPU: '0.5', MEMORY: '1024' });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobQueue'), 'JobQueueArn'] }, BatchParameters: Match.objectLike({ JobName: 'rookery-monitor' }) })],
    });
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup'))).toHaveLength(6);
  });

  it('lets the monitoring job read the captures and publish only to its namespace', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) =>
      p.Properties.Roles.some((r: any) => /^MonitorJobJobRole/.test(r.Ref)),
    ) as any;
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Rookery/Monitoring' } } }),
        expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::rookery-capture-123/data-capture/rookery-penguins*']] } }),
      ]),
    );
  });

  it('raises an alarm on drifted columns that starts the pipeline', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Rookery/Monitoring',
      MetricName: 'DriftedColumns',
      Dimensions: [{ Name: 'EndpointName', Value: ENDPOINT }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftAlarm'), 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^StateMachine') }, Input: '{"trigger":"drift"}' })],
    });
  });

  it('keeps the alarm but does not retrain with retrainOnDrift=false', () => {
    const { template: t } = synthPipeline({ ...MONITORING, retrainOnDrift: 'false' });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    t.resourceCountIs('AWS::Events::Rule', 1);
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
  });

  it('needs to know where the captures are', () => {
    expect(() => synthPipeline({ enableMonitoring: 'true' })).toThrow(/-c captureUri=s3:\/\/\.\.\. -c groundTruthUri=s3:\/\/\.\.\./);
  });
});

describe('PipelineStack wired to the other stacks', () => {
  it('takes MLflow’s URI and secret from another stack by reference, never the secret’s value', () => {
    const app = new App({ context: { endpointName: ENDPOINT } });
    const env = { account: ACCOUNT, region: REGION };
    const mlflowStack = new Stack(app, 'MlflowStandIn', { env });
    const password = 'this-must-not-appear-anywhere';
    const secret = new secretsmanager.Secret(mlflowStack, 'AdminPassword', {
      secretObjectValue: { username: SecretValue.unsafePlainText('admin'), password: SecretValue.unsafePlainText(password) },
    });
    const pipeline = new PipelineStack(app, 'PipelineStack', { config: readAppConfig(app.node).pipeline, env, mlflow: { trackingUri: 'http://10.0.0.5:5000', secret } });
    const text = JSON.stringify(Template.fromStack(pipeline).toJSON());
    expect(text).not.toContain(password);
    const train = jobDefinition(Template.fromStack(pipeline), 'train').Properties.ContainerProperties;
    expect(train.Secrets).toEqual([{ Name: 'MLFLOW_TRACKING_PASSWORD', ValueFrom: { 'Fn::ImportValue': expect.stringMatching(/^MlflowStandIn:/) } }]);
  });

  it('wired as in stacks/app.ts: jobs in MlflowStack’s VPC, let in to the server’s HTTPS port by a rule that leaves with PipelineStack, over https trusting the server’s certificate', () => {
    const app = new App({ context: { endpointName: ENDPOINT } });
    // Before anything synthesizes: app.synth() after Template.fromStack would return the assembly made without the checks.
    addNagChecks(app);
    const mlflow = new MlflowStack(app, 'MlflowStack', { context: readAppConfig(app.node).context });
    const pipeline = new PipelineStack(app, 'PipelineStack', {
    config: readAppConfig(app.node).pipeline,
      mlflow: mlflow.pipelineConnection(),
    });
    const template = Template.fromStack(pipeline);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: MLFLOW_TLS_PORT,
      ToPort: MLFLOW_TLS_PORT,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^MlflowStack:.*ServerSecurityGroup') },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobSecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
    });
    const env = jobDefinition(template, 'train').Properties.ContainerProperties.Environment;
    expect(env).toContainEqual({ Name: 'MLFLOW_TRACKING_URI', Value: { 'Fn::Join': ['', ['https://', { 'Fn::ImportValue': expect.stringMatching(/PrivateIp/) }]] } });
    expect(JSON.stringify(env)).not.toContain('http://');
    // Every job that talks to MLflow gets the server's certificate from Parameter Store, as the CA to trust.
    for (const job of ['train', 'models register', 'deploy sagemaker']) {
      const secrets = jobDefinition(template, job).Properties.ContainerProperties.Secrets;
      expect(secrets, job).toContainEqual({ Name: 'ROOKERY_MLFLOW_CA_CERT', ValueFrom: expect.objectContaining({ 'Fn::Join': expect.anything() }) });
      expect(JSON.stringify(secrets.find((x: any) => x.Name === 'ROOKERY_MLFLOW_CA_CERT'))).toMatch(/:parameter.*MlflowStack:.*TlsCertificate/);
    }
    const readsCertificate = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement).filter((st: any) => [st.Action].flat().includes('ssm:GetParameters'));
    expect(JSON.stringify(readsCertificate)).toMatch(/TlsCertificate/);
    expect(Template.fromStack(mlflow).findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(() => app.synth()).not.toThrow();
  });

  it('builds the image from container/Dockerfile at the repository root as a CDK asset by default', () => {
    const app = new App({ context: STANDALONE_CONTEXT });
    const stack = new PipelineStack(app, 'PipelineStack', { config: readAppConfig(app.node).pipeline, env: { account: ACCOUNT, region: REGION } });
    const train = jobDefinition(Template.fromStack(stack), 'train').Properties.ContainerProperties;
    expect(JSON.stringify(train.Image)).toContain('cdk-hnb659fds-container-assets');
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'PipelineStack.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages) as any[];
    expect(images).toHaveLength(1);
    expect(images[0].source).toMatchObject({ dockerFile: 'container/Dockerfile', platform: 'linux/amd64' });
    // The build context is the repository root, minus what .dockerignore keeps out of the image.
    const context = join(assembly.directory, images[0].source.directory);
    expect(existsSync(join(context, 'container', 'Dockerfile'))).toBe(true);
    expect(existsSync(join(context, 'scripts', 'image.ts'))).toBe(true);
    expect(existsSync(join(context, 'node_modules'))).toBe(false);
    expect(existsSync(join(context, 'test'))).toBe(false);
  });
});

describe('PipelineStack monitoring an EndpointStack-like bucket', () => {
  it('reads only the capture and ground-truth prefixes, decrypts with the bucket’s key, and passes cdk-nag', () => {
    const app = new App({ context: { ...STANDALONE_CONTEXT, enableMonitoring: 'true' } });
    // Before Template.fromStack synthesizes the app (and caches the assembly).
    addNagChecks(app);
    const endpointStack = new Stack(app, 'EndpointStandIn');
    const key = new kms.Key(endpointStack, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    const bucket = new s3.Bucket(endpointStack, 'Data', { encryptionKey: key, enforceSSL: true, removalPolicy: RemovalPolicy.DESTROY });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'A stand-in for EndpointStack’s bucket in this test only.' });
    const pipeline = new PipelineStack(app, 'PipelineStack', {
    config: readAppConfig(app.node).pipeline,
      endpoint: { endpointName: ENDPOINT, captureBucket: bucket, captureUri: `s3://${bucket.bucketName}/capture`, groundTruthUri: `s3://${bucket.bucketName}/ground-truth` },
    });
    const policy = Object.values(Template.fromStack(pipeline).findResources('AWS::IAM::Policy')).find((p: any) =>
      p.Properties.Roles.some((r: any) => /^MonitorJobJobRole/.test(r.Ref)),
    ) as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    const get = statements.find((st: any) => st.Action === 's3:GetObject');
    expect(JSON.stringify(get.Resource)).toMatch(/\/capture\*.*\/ground-truth\*/);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::ImportValue': expect.stringMatching(/^EndpointStandIn:.*Key/) } }));
    expect(JSON.stringify(statements)).not.toMatch(/s3:GetObject\*|s3:List\*|s3:GetBucket\*/);
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(app.synth().directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.filter((r: any) => r.pluginName === 'AwsSolutions')).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  for (const [name, context] of [
    ['defaults', {}],
    ['everything on', { ...MONITORING, trainingSchedule: 'rate(7 days)', batchSpot: 'true' }],
  ] as const) {
    it(`has no unacknowledged findings (${name}), and every acknowledgement says why`, () => {
      const app = new App({ context: { ...STANDALONE_CONTEXT, ...context } });
      const stack = new PipelineStack(app, 'PipelineStack', { config: readAppConfig(app.node).pipeline, env: { account: ACCOUNT, region: REGION } });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();

      const reasons = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((m) => Object.entries(m.data as Record<string, string>))
        .filter(([id]) => id.includes('AwsSolutions-'));
      expect(reasons.length).toBeGreaterThan(0);
      for (const [id, reason] of reasons) {
        expect(id).toMatch(/AwsSolutions-(IAM4\[.+\]|IAM5\[.+\]|S1)$/);
        expect(reason.length, id).toBeGreaterThan(60);
      }
    });
  }
});
