import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { RookeryBatchJob } from './shared/batch-job.ts';
import { ENDPOINT_DEFAULTS } from './shared/endpoint-config.ts';
import { acknowledgeAutoDeleteProvider, acknowledgeResource } from './shared/nag.ts';
import { PipelineConfigError, readPipelineConfig, type PipelineConfig } from './shared/pipeline-config.ts';
import { SERVING_IMAGE_ASSET } from './shared/serving-image.ts';

/** Where the monitoring job publishes; `rookery pipeline monitor` uses the same names. */
export const METRICS_NAMESPACE = 'Rookery/Monitoring';
export const DRIFTED_COLUMNS_METRIC = 'DriftedColumns';

export interface MlflowConnection {
  trackingUri: string;
  /** Secrets Manager secret holding the MLflow password (MlflowStack's admin secret is the bare password). */
  secret: secretsmanager.ISecret;
  /** The JSON field of `secret` that holds the password, when the secret is JSON; the whole secret otherwise. */
  secretField?: string;
  /** Plain-text user name; the password never is. */
  username?: string;
  /** Run the jobs in MLflow's VPC, so they reach the server by its private address. */
  vpc?: ec2.IVpc;
  /** The MLflow server: the jobs' security group is let in on `port`. */
  server?: ec2.IConnectable;
  port?: number;
}

export interface EndpointTarget {
  endpointName: string;
  /** `s3://bucket/prefix` of the endpoint's Data Capture files. */
  captureUri?: string;
  /** `s3://bucket/prefix` of the ground truth written by `rookery label`. */
  groundTruthUri?: string;
  /** The bucket holding captures and ground truth; read access (and its KMS key's decrypt) goes to the monitoring job. */
  captureBucket?: s3.IBucket;
  /** Extra permissions `rookery deploy sagemaker` needs beyond the endpoint itself (e.g. passing the SageMaker role). */
  deployPolicy?: iam.PolicyStatement[];
  /** Each wildcard resource of `deployPolicy` (the value the statement names) and why it is there; acknowledged on the deploy job's role. */
  deployPolicyWildcards?: { resource: string; reason: string }[];
  /** Environment `rookery deploy sagemaker` reads (e.g. the image URI and execution role), never secrets. */
  deployEnvironment?: Record<string, string>;
}

export interface PipelineStackProps extends StackProps {
  /** From MlflowStack in the same app; else context mlflowTrackingUri + mlflowSecretArn. */
  mlflow?: MlflowConnection;
  /** From EndpointStack in the same app; else context endpointName (default rookery-penguins, as EndpointStack's) and, for monitoring, captureUri and groundTruthUri. */
  endpoint?: EndpointTarget;
  /** The image the jobs run; by default container/Dockerfile built from the repository root and pushed to the CDK assets repository. */
  image?: ecs.ContainerImage;
}

/** Names of the state machine's states, for the stack's tests and `rookery pipeline run` output. */
export const STATES = {
  defaults: 'Defaults',
  configure: 'Configure',
  validate: 'ValidateInput',
  train: 'Train',
  readTraining: 'ReadTrainingResult',
  gate: 'AccuracyGate',
  register: 'RegisterModel',
  readRegistration: 'ReadRegistration',
  deploy: 'DeployToEndpoint',
  summarize: 'Summarize',
  deployed: 'Deployed',
  invalidInput: 'InvalidInput',
  trainingFailed: 'TrainingFailed',
  invalidResult: 'TrainingResultInvalid',
  explainBelowThreshold: 'ExplainBelowThreshold',
  belowThreshold: 'NotDeployedBelowThreshold',
  registrationFailed: 'RegistrationFailed',
  deploymentFailed: 'DeploymentFailed',
} as const;

/**
 * The training pipeline: the image's `train` command as an AWS Batch job on
 * Fargate, and a Step Functions state machine that trains, reads the result,
 * gates on accuracy, registers and moves the alias in MLflow, and deploys to
 * the SageMaker endpoint with the guarded update; optionally scheduled, and
 * optionally started by a drift alarm fed by a scheduled monitoring job.
 */
export class PipelineStack extends Stack {
  readonly config: PipelineConfig;
  readonly stateMachine: sfn.StateMachine;
  readonly jobQueue: batch.JobQueue;
  readonly bucket: s3.Bucket;
  readonly jobs: { train: RookeryBatchJob; register: RookeryBatchJob; deploy: RookeryBatchJob; monitor?: RookeryBatchJob };
  readonly driftAlarm?: cloudwatch.Alarm;
  /** The monitoring job's object ARNs in the endpoint's bucket, when it is another stack's (its export name is only known at synth). */
  private captureReadResources: string[] = [];

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    const config = (this.config = readPipelineConfig(this));
    const mlflow = this.mlflowConnection(props.mlflow, config);
    const endpoint = this.endpointTarget(props.endpoint, config);
    // The same asset as EndpointStack's: one build and push serves both.
    const { directory, ...imageOptions } = SERVING_IMAGE_ASSET;
    const image = props.image ?? ecs.ContainerImage.fromAsset(directory, imageOptions);

    // Public subnets and a public IP per task instead of a NAT gateway: the
    // jobs run minutes a week, a NAT gateway bills every hour. The security
    // group takes no inbound traffic, so the public IP only serves egress.
    // With MlflowStack in the app the jobs share its VPC and reach the server
    // on its private address, through a rule that admits this group only.
    const vpc = mlflow.vpc ?? this.newVpc(config);
    const publicSubnets = vpc.publicSubnets.length > 0;
    // Outbound: HTTPS to ECR and the AWS APIs, and the MLflow port to the
    // server only. An MLflow elsewhere (context) may be on any port.
    const securityGroup = new ec2.SecurityGroup(this, 'JobSecurityGroup', {
      vpc,
      description: 'rookery Batch jobs: no inbound; outbound to AWS APIs and the MLflow server',
      allowAllOutbound: !mlflow.server,
    });
    if (mlflow.server) {
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: ECR, S3, CloudWatch, Secrets Manager, SageMaker');
      securityGroup.connections.allowTo(mlflow.server, ec2.Port.tcp(mlflow.port ?? 5000), 'rookery pipeline jobs to the MLflow tracking server');
    }

    const computeEnvironment = new batch.FargateComputeEnvironment(this, 'ComputeEnvironment', {
      vpc,
      // An existing VPC without public subnets must route out through its own NAT or endpoints.
      vpcSubnets: { subnetType: publicSubnets ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      spot: config.spot,
      maxvCpus: config.maxvCpus,
    });
    computeEnvironment.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [{ computeEnvironment, order: 1 }],
      priority: 1,
    });
    this.jobQueue.applyRemovalPolicy(RemovalPolicy.DESTROY);

    // Step results (training.json, the model artifact, registration.json) and
    // monitoring reports; one prefix per execution.
    this.bucket = new s3.Bucket(this, 'RunsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      lifecycleRules: [{ prefix: 'runs/', expiration: Duration.days(90) }],
    });

    // AWS_REGION: the image's S3 and CloudWatch calls sign for this region.
    const mlflowEnv: Record<string, string> = {
      MLFLOW_TRACKING_URI: mlflow.trackingUri,
      MLFLOW_TRACKING_USERNAME: mlflow.username ?? config.mlflowUsername,
      AWS_REGION: this.region,
    };
    const mlflowSecrets = { MLFLOW_TRACKING_PASSWORD: batch.Secret.fromSecretsManager(mlflow.secret, mlflow.secretField ?? config.mlflowSecretField) };
    const executionRole = new iam.Role(this, 'JobExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'ECS task execution role of the rookery pipeline jobs: pulls the image, writes the job logs, reads the MLflow password secret',
    });
    const common = { image, executionRole, logRetentionDays: config.logRetentionDays, assignPublicIp: publicSubnets };
    const manual = `s3://${this.bucket.bucketName}/runs/manual`;

    const train = new RookeryBatchJob(this, 'TrainJob', {
      ...common,
      command: [
        'train', '--no-register', '--name', config.modelName,
        '--accuracy-threshold', 'Ref::accuracyThreshold', '--out', 'Ref::artifactUri', '--result', 'Ref::resultUri',
      ],
      parameters: { accuracyThreshold: String(config.accuracyThreshold), artifactUri: `${manual}/model`, resultUri: `${manual}/training.json` },
      environment: mlflowEnv,
      secrets: mlflowSecrets,
      resources: config.training,
    });
    this.allowObjects(train.role, ['s3:PutObject'], 'runs/*');

    const register = new RookeryBatchJob(this, 'RegisterJob', {
      ...common,
      command: ['models', 'register', '--from', 'Ref::trainingResultUri', '--name', config.modelName, '--alias', config.alias, '--result', 'Ref::resultUri'],
      parameters: { trainingResultUri: `${manual}/training.json`, resultUri: `${manual}/registration.json` },
      environment: mlflowEnv,
      secrets: mlflowSecrets,
      resources: config.step,
    });
    this.allowObjects(register.role, ['s3:GetObject', 's3:PutObject'], 'runs/*');

    const deploy = new RookeryBatchJob(this, 'DeployJob', {
      ...common,
      command: ['deploy', 'sagemaker', '--endpoint', endpoint.endpointName, '--model', 'Ref::modelRef'],
      parameters: { modelRef: `models:/${config.modelName}@${config.alias}` },
      environment: { ...mlflowEnv, ...endpoint.deployEnvironment },
      secrets: mlflowSecrets,
      resources: config.step,
    });
    this.grantDeploy(deploy.role, endpoint);

    this.jobs = { train, register, deploy };
    this.stateMachine = this.buildStateMachine(config, endpoint.endpointName);

    if (config.trainingSchedule) {
      new events.Rule(this, 'TrainingSchedule', {
        description: `Starts the rookery training pipeline ${config.trainingSchedule}`,
        schedule: events.Schedule.expression(config.trainingSchedule),
        targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ trigger: 'schedule' }) })],
      });
    }

    if (config.enableMonitoring) {
      const monitor = this.monitoring(config, endpoint, common, mlflowEnv, mlflowSecrets);
      this.jobs.monitor = monitor.job;
      this.driftAlarm = monitor.alarm;
    }

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn, description: 'rookery pipeline run --state-machine ARN' });
    new CfnOutput(this, 'JobQueueArn', { value: this.jobQueue.jobQueueArn });
    new CfnOutput(this, 'RunsBucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'TrainingLogGroup', { value: train.logGroup.logGroupName });
    this.acknowledgeNagFindings(endpoint, Boolean(props.mlflow || props.endpoint));
    acknowledgeAutoDeleteProvider(this);
  }

  private newVpc(config: PipelineConfig): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'jobs', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', { retention: config.logRetentionDays as logs.RetentionDays, removalPolicy: RemovalPolicy.DESTROY }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    return vpc;
  }

  /** Object-level access to one prefix of the runs bucket, without the extra actions the grant helpers add. */
  private allowObjects(role: iam.IRole, actions: string[], keyPattern: string): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.bucket.arnForObjects(keyPattern)] }));
  }

  private mlflowConnection(fromProps: MlflowConnection | undefined, config: PipelineConfig): MlflowConnection {
    if (fromProps) return fromProps;
    if (!config.mlflowTrackingUri || !config.mlflowSecretArn) {
      throw new PipelineConfigError(
        'PipelineStack needs MLflow: deploy it in the same app as MlflowStack, or pass -c mlflowTrackingUri=https://... -c mlflowSecretArn=arn:aws:secretsmanager:...',
      );
    }
    return {
      trackingUri: config.mlflowTrackingUri,
      secret: secretsmanager.Secret.fromSecretCompleteArn(this, 'MlflowSecret', config.mlflowSecretArn),
    };
  }

  private endpointTarget(fromProps: EndpointTarget | undefined, config: PipelineConfig): EndpointTarget {
    if (fromProps) return fromProps;
    return {
      // EndpointStack reads the same key with the same default.
      endpointName: config.endpointName ?? ENDPOINT_DEFAULTS.endpointName,
      ...(config.captureUri ? { captureUri: config.captureUri } : {}),
      ...(config.groundTruthUri ? { groundTruthUri: config.groundTruthUri } : {}),
    };
  }

  /** `rookery deploy sagemaker` creates a model and endpoint configuration and runs a guarded update on one endpoint. */
  private grantDeploy(role: iam.Role, endpoint: EndpointTarget): void {
    const arn = (resource: string, suffix: string) =>
      this.formatArn({ service: 'sagemaker', resource, resourceName: `${endpoint.endpointName.toLowerCase()}${suffix}` });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateModel',
          'sagemaker:DescribeModel',
          'sagemaker:DeleteModel',
          'sagemaker:CreateEndpointConfig',
          'sagemaker:DescribeEndpointConfig',
          'sagemaker:DeleteEndpointConfig',
          'sagemaker:DescribeEndpoint',
          'sagemaker:UpdateEndpoint',
          'sagemaker:AddTags',
          'sagemaker:ListTags',
        ],
        // Each deployment creates a new model and endpoint configuration named after the endpoint.
        resources: [arn('endpoint', ''), arn('endpoint-config', '*'), arn('model', '*')],
      }),
    );
    for (const statement of endpoint.deployPolicy ?? []) role.addToPolicy(statement);
  }

  private buildStateMachine(config: PipelineConfig, endpointName: string): sfn.StateMachine {
    const { train, register, deploy } = this.jobs;
    const runUri = (file: string) => sfn.JsonPath.format(`s3://{}/{}/${file}`, sfn.JsonPath.stringAt('$.run.bucket'), sfn.JsonPath.stringAt('$.run.prefix'));

    // Input: {"accuracyThreshold"?: number}; anything missing takes the stack's default.
    const defaults = new sfn.Pass(this, STATES.defaults, {
      result: sfn.Result.fromObject({ accuracyThreshold: config.accuracyThreshold }),
      resultPath: '$.defaults',
    });
    const configure = new sfn.Pass(this, STATES.configure, {
      parameters: {
        config: sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.defaults'), sfn.JsonPath.objectAt('$$.Execution.Input')),
        run: { bucket: this.bucket.bucketName, prefix: sfn.JsonPath.format('runs/{}', sfn.JsonPath.executionName) },
      },
    });

    const failed = (id: string, error: string) => new sfn.Fail(this, id, { error, causePath: '$.error.Cause' });
    const invalidInput = new sfn.Fail(this, STATES.invalidInput, {
      error: 'InvalidInput',
      cause: 'accuracyThreshold must be a number from 0 to 1, e.g. {"accuracyThreshold": 0.9}',
    });
    const trainingFailed = failed(STATES.trainingFailed, 'TrainingFailed');
    const registrationFailed = failed(STATES.registrationFailed, 'RegistrationFailed');
    const deploymentFailed = failed(STATES.deploymentFailed, 'DeploymentFailed');
    const invalidResult = new sfn.Fail(this, STATES.invalidResult, {
      error: 'TrainingResultInvalid',
      cause: 'the training job wrote a result without a numeric "accuracy"',
    });
    // Below the threshold is a failed execution, as `rookery train` exits 1:
    // the endpoint keeps serving the current champion, and the execution's
    // status (and ExecutionsFailed) tells whoever scheduled it.
    // The cause is formatted in a Pass state rather than in CausePath, so
    // the definition also runs on interpreters without intrinsics there.
    const belowThreshold = new sfn.Pass(this, STATES.explainBelowThreshold, {
      parameters: {
        Cause: sfn.JsonPath.format(
          'cross-validated accuracy {} is below the threshold {}: the model was not registered and the endpoint was not changed',
          sfn.JsonPath.stringAt('$.training.result.accuracy'),
          sfn.JsonPath.stringAt('$.config.accuracyThreshold'),
        ),
      },
      resultPath: '$.error',
    }).next(failed(STATES.belowThreshold, 'ModelBelowThreshold'));

    // The job definitions carry the time limits (Batch stops a job at its
    // timeout); the state machine's own timeout bounds the whole run.
    // Submitting can be throttled or hit a Batch hiccup: always retry that.
    // A job that ran and failed is retried once where running it again is
    // safe (training, registration); never for deployment, whose guarded
    // update has already rolled back by the time the job fails. Any other
    // failure goes to the job's Fail path with the error at $.error.
    const retrySubmit = { errors: ['Batch.AWSBatchException'], interval: Duration.seconds(10), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL };
    const retryJob = { errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(30), maxAttempts: 1, backoffRate: 2 };
    const catchAll = { errors: [sfn.Errors.ALL], resultPath: '$.error' };
    const batchJob = (id: string, job: RookeryBatchJob, payload: Record<string, string>, onFailure: sfn.IChainable, rerunOnce: boolean) => {
      const submit = new tasks.BatchSubmitJob(this, id, {
        jobName: `rookery-${id.toLowerCase()}`,
        jobQueueArn: this.jobQueue.jobQueueArn,
        jobDefinitionArn: job.definition.jobDefinitionArn,
        payload: sfn.TaskInput.fromObject(payload),
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        resultSelector: { 'jobId.$': '$.JobId', 'jobName.$': '$.JobName', 'status.$': '$.Status' },
        resultPath: `$.jobs.${id}`,
      }).addRetry(retrySubmit);
      return (rerunOnce ? submit.addRetry(retryJob) : submit).addCatch(onFailure, catchAll);
    };
    const readJson = (id: string, file: string, resultPath: string) =>
      new tasks.CallAwsService(this, id, {
        service: 's3',
        action: 'getObject',
        parameters: { Bucket: this.bucket.bucketName, Key: sfn.JsonPath.format(`{}/${file}`, sfn.JsonPath.stringAt('$.run.prefix')) },
        iamResources: [this.bucket.arnForObjects('runs/*')],
        resultSelector: { 'result.$': 'States.StringToJson($.Body)' },
        resultPath,
      }).addRetry({ errors: ['S3.S3Exception', 'S3.SdkClientException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    const trainJob = batchJob(
      STATES.train,
      train,
      {
        accuracyThreshold: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.config.accuracyThreshold')),
        artifactUri: runUri('model'),
        resultUri: runUri('training.json'),
      },
      trainingFailed,
      true,
    );
    const readTraining = readJson(STATES.readTraining, 'training.json', '$.training').addCatch(trainingFailed, catchAll);

    const registerJob = batchJob(STATES.register, register, { trainingResultUri: runUri('training.json'), resultUri: runUri('registration.json') }, registrationFailed, true);
    const readRegistration = readJson(STATES.readRegistration, 'registration.json', '$.registration').addCatch(registrationFailed, catchAll);

    const modelRef = sfn.JsonPath.format('models:/{}/{}', sfn.JsonPath.stringAt('$.registration.result.name'), sfn.JsonPath.stringAt('$.registration.result.version'));
    const deployJob = batchJob(STATES.deploy, deploy, { modelRef }, deploymentFailed, false);
    const summarize = new sfn.Pass(this, STATES.summarize, {
      parameters: {
        model: modelRef,
        'accuracy.$': '$.training.result.accuracy',
        'accuracyThreshold.$': '$.config.accuracyThreshold',
        endpoint: endpointName,
      },
    });

    const accuracy = '$.training.result.accuracy';
    const gate = new sfn.Choice(this, STATES.gate, { comment: 'Register and deploy only a model at least as accurate as the threshold' })
      .when(sfn.Condition.not(sfn.Condition.and(sfn.Condition.isPresent(accuracy), sfn.Condition.isNumeric(accuracy))), invalidResult)
      .when(sfn.Condition.numberGreaterThanEqualsJsonPath(accuracy, '$.config.accuracyThreshold'), registerJob)
      .otherwise(belowThreshold);
    registerJob.next(readRegistration).next(deployJob).next(summarize).next(new sfn.Succeed(this, STATES.deployed));

    const threshold = '$.config.accuracyThreshold';
    const validate = new sfn.Choice(this, STATES.validate)
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent(threshold),
          sfn.Condition.isNumeric(threshold),
          sfn.Condition.numberGreaterThanEquals(threshold, 0),
          sfn.Condition.numberLessThanEquals(threshold, 1),
        ),
        trainJob.next(readTraining).next(gate),
      )
      .otherwise(invalidInput);

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'rookery: train -> read result -> accuracy gate -> register + alias in MLflow -> guarded SageMaker deploy',
      definitionBody: sfn.DefinitionBody.fromChainable(defaults.next(configure).next(validate)),
      timeout: Duration.minutes(config.pipelineTimeoutMinutes),
      tracingEnabled: true,
      // Execution data is logged: secrets never pass through the state
      // machine (ECS injects them into the containers), and the step inputs
      // and outputs are what an operator needs to debug a run.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Step Functions stops the job when an execution is stopped or times out,
    // and reads its status; job ids exist only at run time.
    stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }));
    stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [this.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })] }));
    return stateMachine;
  }

  private monitoring(
    config: PipelineConfig,
    endpoint: EndpointTarget,
    common: { image: ecs.ContainerImage; executionRole: iam.IRole; logRetentionDays: number; assignPublicIp: boolean },
    mlflowEnv: Record<string, string>,
    mlflowSecrets: Record<string, batch.Secret>,
  ): { job: RookeryBatchJob; alarm: cloudwatch.Alarm } {
    if (!endpoint.captureUri || !endpoint.groundTruthUri) {
      throw new PipelineConfigError(
        'enableMonitoring=true needs the endpoint\'s capture and ground-truth locations: deploy with EndpointStack in the same app, or pass -c captureUri=s3://... -c groundTruthUri=s3://...',
      );
    }
    const job = new RookeryBatchJob(this, 'MonitorJob', {
      ...common,
      command: [
        'pipeline', 'monitor',
        '--endpoint', endpoint.endpointName,
        '--datastore', endpoint.captureUri,
        '--ground-truth', endpoint.groundTruthUri,
        '--report', `s3://${this.bucket.bucketName}/monitoring`,
        '--namespace', METRICS_NAMESPACE,
      ],
      environment: mlflowEnv,
      secrets: mlflowSecrets,
      resources: config.monitoring,
    });
    this.allowObjects(job.role, ['s3:PutObject'], 'monitoring/*');
    const captureBucket = endpoint.captureBucket;
    if (captureBucket) {
      // Only the capture and ground-truth prefixes, and the key that encrypts them.
      const base = `s3://${captureBucket.bucketName}/`;
      const prefixes = [endpoint.captureUri, endpoint.groundTruthUri].map((uri) => (uri.startsWith(base) ? uri.slice(base.length) : ''));
      this.captureReadResources = prefixes.map((p) => captureBucket.arnForObjects(`${p}*`));
      job.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: this.captureReadResources }));
      job.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [captureBucket.bucketArn] }));
      if (captureBucket.encryptionKey) {
        job.role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [captureBucket.encryptionKey.keyArn] }));
      }
    } else {
      for (const uri of [endpoint.captureUri, endpoint.groundTruthUri]) {
        const { bucket, prefix } = splitS3Uri(uri);
        job.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:${this.partition}:s3:::${bucket}/${prefix}*`] }));
        job.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [`arn:${this.partition}:s3:::${bucket}`] }));
      }
    }
    job.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        // PutMetricData has no resource-level permissions; the namespace condition narrows it.
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );

    new events.Rule(this, 'MonitoringSchedule', {
      description: `Runs rookery monitoring on ${endpoint.endpointName} ${config.monitoringSchedule}`,
      schedule: events.Schedule.expression(config.monitoringSchedule),
      targets: [new targets.BatchJob(this.jobQueue.jobQueueArn, this.jobQueue, job.definition.jobDefinitionArn, job.definition, { jobName: 'rookery-monitor', attempts: 1 })],
    });

    // One datapoint per monitoring run; missing hours are not drift, so the
    // alarm returns to OK and the next drifted run raises it (and retrains) again.
    const alarm = new cloudwatch.Alarm(this, 'DriftAlarm', {
      alarmDescription: `Drift in the data captured by ${endpoint.endpointName} (rookery monitor found drifted columns)`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: DRIFTED_COLUMNS_METRIC,
        dimensionsMap: { EndpointName: endpoint.endpointName },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.applyRemovalPolicy(RemovalPolicy.DESTROY);

    if (config.retrainOnDrift) {
      new events.Rule(this, 'RetrainOnDrift', {
        description: `Starts the training pipeline when ${alarm.node.id} goes into ALARM`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [alarm.alarmArn],
          detail: { state: { value: ['ALARM'] } },
        },
        targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ trigger: 'drift' }) })],
      });
    }
    new CfnOutput(this, 'DriftAlarmName', { value: alarm.alarmName });
    return { job, alarm };
  }

  /** Every cdk-nag finding this stack keeps, each with why it stays. */
  private acknowledgeNagFindings(endpoint: EndpointTarget, crossStack: boolean): void {
    const ack = (scope: Construct, findings: Record<string, string>) =>
      Validations.of(scope).acknowledge(...Object.entries(findings).map(([id, reason]) => ({ id, reason })));
    const bucketArn = `<${this.getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>`;
    // How cdk-nag prints an ARN this stack formats: pseudo parameters as <AWS::...>, literals as they are.
    const arnPrefix = (service: string) =>
      `arn:<AWS::Partition>:${service}:${Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region}:${Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account}`;
    const region = arnPrefix('batch');
    const perRun = 'Each execution reads and writes only its own runs/<execution name>/ prefix, which exists only at run time; the wildcard is limited to that prefix of the stack\'s own bucket.';

    if (crossStack) {
      ack(this, {
        'Annotation::@aws-cdk/core:crossStackReferencesDefaultStrong':
          'Strong references are intended: MlflowStack and EndpointStack cannot be destroyed or lose the secret, instance or bucket while the pipeline uses them; `cdk destroy --all` removes PipelineStack first.',
      });
    }
    ack(this.bucket, {
      'AwsSolutions-S1':
        'The bucket holds only the pipeline\'s own step results (JSON and model artifacts, expiring after 90 days), read and written by the stack\'s job and state machine roles; CloudTrail data events audit access if needed, and an access-log bucket would outlive cdk destroy.',
    });
    if (this.node.tryFindChild('JobExecutionRole')) {
      ack(this.node.findChild('JobExecutionRole'), {
        'AwsSolutions-IAM5[Resource::*]': 'ecr:GetAuthorizationToken, which every image pull from ECR needs, supports no resource-level permissions; the layer download actions name the assets repository.',
      });
    }
    ack(this.jobs.train.role, { [`AwsSolutions-IAM5[Resource::${bucketArn}/runs/*]`]: perRun });
    ack(this.jobs.register.role, { [`AwsSolutions-IAM5[Resource::${bucketArn}/runs/*]`]: perRun });
    ack(this.stateMachine.role, {
      [`AwsSolutions-IAM5[Resource::${bucketArn}/runs/*]`]: perRun,
      [`AwsSolutions-IAM5[Resource::${region}:job-definition/*]`]:
        'Generated by BatchSubmitJob: SubmitJob names a job definition by ARN with its revision, and a revision is created on every change of the definition; the statement also names the job queue exactly.',
      [`AwsSolutions-IAM5[Resource::${region}:job/*]`]:
        'TerminateJob stops the running job when an execution is stopped or times out; Batch job ids exist only at run time.',
      'AwsSolutions-IAM5[Resource::*]':
        'batch:DescribeJobs, the CloudWatch Logs delivery actions for the execution log and the X-Ray trace actions support no resource-level permissions (Step Functions service integration and logging documentation).',
    });
    const sagemaker = arnPrefix('sagemaker');
    const name = endpoint.endpointName.toLowerCase();
    const perDeploy = 'rookery deploy sagemaker creates a new model and endpoint configuration for every deployment, named after the endpoint plus a version suffix; the wildcard is limited to that name prefix.';
    ack(this.jobs.deploy.role, {
      [`AwsSolutions-IAM5[Resource::${sagemaker}:endpoint-config/${name}*]`]: perDeploy,
      [`AwsSolutions-IAM5[Resource::${sagemaker}:model/${name}*]`]: perDeploy,
    });
    for (const { resource, reason } of endpoint.deployPolicyWildcards ?? []) acknowledgeResource(this.jobs.deploy.role, 'AwsSolutions-IAM5', resource, reason);
    const monitor = this.jobs.monitor;
    if (monitor && endpoint.captureUri && endpoint.groundTruthUri) {
      ack(monitor.role, {
        'AwsSolutions-IAM5[Resource::*]': `cloudwatch:PutMetricData supports no resource-level permissions; the statement is restricted to the ${METRICS_NAMESPACE} namespace with the cloudwatch:namespace condition key.`,
        [`AwsSolutions-IAM5[Resource::${bucketArn}/monitoring/*]`]: 'The monitoring job writes a dated report folder under monitoring/ on each run; the wildcard is limited to that prefix.',
        ...Object.fromEntries(
          (endpoint.captureBucket ? [] : [endpoint.captureUri, endpoint.groundTruthUri]).map((uri) => {
            const { bucket, prefix } = splitS3Uri(uri);
            return [
              `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/${prefix}*]`,
              'SageMaker Data Capture and rookery label write one object per hour under this prefix; the monitoring job reads all of them, and nothing outside the prefix.',
            ];
          }),
        ),
      });
      for (const resource of this.captureReadResources) {
        acknowledgeResource(monitor.role, 'AwsSolutions-IAM5', resource,
          'SageMaker Data Capture and rookery label write one object per hour under this prefix of the endpoint\'s bucket; the monitoring job reads all of them, and nothing outside the prefix.');
      }
    }
  }
}

function splitS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new PipelineConfigError(`${uri} is not an s3:// URI`);
  return { bucket: m[1], prefix: m[2] };
}
