import { CfnOutput, Duration, RemovalPolicy, Token, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { UserError } from '../model/user-error.ts';
import { MLFLOW_CA_CERT_ENV } from '../registry/settings.ts';
import { ENDPOINT_DEFAULTS, type PipelineConfig } from './config.ts';
import { RookeryBatchJob, type BatchJobProps } from './constructs/batch-job.ts';
import { BatchScoring } from './constructs/batch-scoring.ts';
import { DriftMonitor, type DriftMonitorProps } from './constructs/drift-monitor.ts';
import { BATCH_INPUT_PREFIX, BATCH_OUTPUT_PREFIX } from './constructs/sagemaker-endpoint.ts';
import { TrainingStateMachine } from './constructs/training-state-machine.ts';
import { newLogKey } from './support/keys.ts';
import { prefixObjects, prefixReads, uriPrefix } from './support/prefix-reads.ts';
import { RookeryStack } from './support/logical-ids.ts';
import { acknowledgeAutoDeleteProvider, acknowledgeResource } from './support/nag.ts';
import { SERVING_IMAGE_ASSET } from './support/serving-image.ts';

export { STATES } from './constructs/training-state-machine.ts';

/** How the pipeline's jobs reach MLflow. */
export interface MlflowConnection {
  readonly trackingUri: string;
  /** Secrets Manager secret holding the MLflow password (MlflowStack's admin secret is the bare password). */
  readonly secret: secretsmanager.ISecret;
  /**
   * The JSON field of `secret` that holds the password, when the secret is JSON.
   * @default the whole secret is the password
   */
  readonly secretField?: string;
  /**
   * Plain-text user name; the password never is.
   * @default the pipeline config's mlflowUsername
   */
  readonly username?: string;
  /**
   * Run the jobs in MLflow's VPC, so they reach the server by its private address.
   * @default a new VPC with public subnets only
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The MLflow server: the jobs' security group is let in on `port`.
   * @default the jobs may connect anywhere (an MLflow elsewhere may be on any port)
   */
  readonly server?: ec2.IConnectable;
  /** @default 5000 */
  readonly port?: number;
  /**
   * The server's TLS certificate (PEM) in Parameter Store: the jobs trust it
   * alone for the https:// tracking URI (ROOKERY_MLFLOW_CA_CERT, an ECS secret).
   * @default Node's CA store (a server with a public certificate)
   */
  readonly caCertificate?: ssm.IStringParameter;
}

/** The endpoint the pipeline deploys to and monitors. */
export interface EndpointTarget {
  readonly endpointName: string;
  /**
   * `s3://bucket/prefix` of the endpoint's Data Capture files.
   * @default none: monitoring cannot be enabled
   */
  readonly captureUri?: string;
  /**
   * `s3://bucket/prefix` of the ground truth written by `rookery label`.
   * @default none: monitoring cannot be enabled
   */
  readonly groundTruthUri?: string;
  /**
   * The bucket holding captures and ground truth; read access (and its KMS key's decrypt) goes to the monitoring job.
   * @default the buckets named in the URIs, read by ARN
   */
  readonly captureBucket?: s3.IBucket;
  /**
   * The endpoint model's SageMaker execution role, which a transform job with that model reads its input and writes
   * its output with: batch scoring grants it `batchInput` and the runs bucket's batch-scores/.
   * @default not known: whoever owns the role grants those (README, "On SageMaker Batch Transform")
   */
  readonly executionRole?: iam.IRole;
  /**
   * Extra permissions `rookery deploy sagemaker` needs beyond the endpoint itself (e.g. passing the SageMaker role).
   * @default none
   */
  readonly deployPolicy?: iam.PolicyStatement[];
  /**
   * Each wildcard resource of `deployPolicy` (the value the statement names) and why it is there; acknowledged on the deploy job's role.
   * @default none
   */
  readonly deployPolicyWildcards?: { readonly resource: string; readonly reason: string }[];
  /**
   * Environment `rookery deploy sagemaker` reads (e.g. the image URI and execution role), never secrets.
   * @default none
   */
  readonly deployEnvironment?: Record<string, string>;
}

export interface PipelineStackProps extends StackProps {
  /** Schedules, job sizes, gate threshold, model name and alias, and the standalone MLflow and endpoint settings. */
  readonly config: PipelineConfig;
  /**
   * MLflow, from MlflowStack in the same app.
   * @default config.mlflowTrackingUri and config.mlflowSecretArn
   */
  readonly mlflow?: MlflowConnection;
  /**
   * The endpoint, from EndpointStack in the same app.
   * @default config.endpointName (EndpointStack's default name) and, for monitoring, config.captureUri and config.groundTruthUri
   */
  readonly endpoint?: EndpointTarget;
  /**
   * The image the jobs run.
   * @default container/Dockerfile built from the repository root and pushed to the CDK assets repository
   */
  readonly image?: ecs.ContainerImage;
}

/**
 * The training pipeline: the image's `train` command as an AWS Batch job on
 * Fargate, and a Step Functions state machine that trains, reads the result,
 * gates on accuracy, registers and moves the alias in MLflow, and deploys to
 * the SageMaker endpoint with the guarded update; optionally scheduled, and
 * optionally started by a drift alarm fed by a scheduled monitoring job.
 */
/** What every job of the stack shares. */
type JobCommon = Pick<BatchJobProps, 'image' | 'executionRole' | 'logRetentionDays' | 'logKey' | 'assignPublicIp'>;

/**
 * The training pipeline: the image's `train` command as an AWS Batch job on
 * Fargate, and a Step Functions state machine that trains, reads the result,
 * gates on accuracy, registers and moves the alias in MLflow, and deploys to
 * the SageMaker endpoint with the guarded update; optionally scheduled, and
 * optionally started by a drift alarm fed by a scheduled monitoring job.
 */
export class PipelineStack extends RookeryStack {
  readonly config: PipelineConfig;
  readonly stateMachine: sfn.StateMachine;
  readonly jobQueue: batch.JobQueue;
  readonly bucket: s3.Bucket;
  readonly jobs: { train: RookeryBatchJob; register: RookeryBatchJob; deploy: RookeryBatchJob; monitor?: RookeryBatchJob };
  readonly driftAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const config = (this.config = props.config);
    const mlflow = this.mlflowConnection(props.mlflow, config);
    const endpoint = this.endpointTarget(props.endpoint, config);
    // The same asset as EndpointStack's: one build and push serves both.
    const { directory, ...imageOptions } = SERVING_IMAGE_ASSET;
    const image = props.image ?? ecs.ContainerImage.fromAsset(directory, imageOptions);
    // Every log group of the stack (AWS Control Tower's CT.CLOUDWATCH.PR.3).
    const logKey = newLogKey(this, 'LogKey', 'rookery PipelineStack: the job, state machine and flow logs');
    const { jobQueue, assignPublicIp } = this.jobNetwork(config, mlflow, logKey);
    this.jobQueue = jobQueue;

    // Step results (training.json, the model artifact, registration.json) and
    // monitoring reports; one prefix per execution.
    this.bucket = new s3.Bucket(this, 'RunsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      // Versions: a step result a later step overwrote can be got back for 30 days.
      versioned: true,
      lifecycleRules: [{ prefix: 'runs/', expiration: Duration.days(90) }, { noncurrentVersionExpiration: Duration.days(30) }],
    });

    // AWS_REGION: the image's S3 and CloudWatch calls sign for this region.
    const environment: Record<string, string> = {
      MLFLOW_TRACKING_URI: mlflow.trackingUri,
      MLFLOW_TRACKING_USERNAME: mlflow.username ?? config.mlflowUsername,
      AWS_REGION: this.region,
    };
    const secrets: Record<string, batch.Secret> = {
      MLFLOW_TRACKING_PASSWORD: batch.Secret.fromSecretsManager(mlflow.secret, mlflow.secretField ?? config.mlflowSecretField),
      ...(mlflow.caCertificate ? { [MLFLOW_CA_CERT_ENV]: batch.Secret.fromSsmParameter(mlflow.caCertificate) } : {}),
    };
    const executionRole = new iam.Role(this, 'JobExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'ECS task execution role of the rookery pipeline jobs: pulls the image, writes the job logs, reads the MLflow password secret',
    });
    const common: JobCommon = { image, executionRole, logRetentionDays: config.logRetentionDays, logKey, assignPublicIp };
    this.jobs = this.createJobs(config, endpoint, common, environment, secrets);

    this.stateMachine = new TrainingStateMachine(this, 'TrainingStateMachine', {
      jobs: this.jobs,
      jobQueue: this.jobQueue,
      bucket: this.bucket,
      accuracyThreshold: config.accuracyThreshold,
      endpointName: endpoint.endpointName,
      timeoutMinutes: config.pipelineTimeoutMinutes,
      logRetentionDays: config.logRetentionDays,
      logKey,
    }).stateMachine;
    if (config.trainingSchedule) {
      new events.Rule(this, 'TrainingSchedule', {
        description: `Starts the rookery training pipeline ${config.trainingSchedule}`,
        schedule: events.Schedule.expression(config.trainingSchedule),
        targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ trigger: 'schedule' }) })],
      });
    }
    if (config.batchScoring) this.batchScoring(config.batchScoring, config, endpoint, logKey);
    if (config.enableMonitoring) {
      const monitor = this.driftMonitor(config, endpoint, { ...common, environment, secrets });
      this.jobs.monitor = monitor.job;
      this.driftAlarm = monitor.alarm;
    }

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn, description: 'rookery pipeline run --state-machine ARN' });
    new CfnOutput(this, 'JobQueueArn', { value: this.jobQueue.jobQueueArn });
    new CfnOutput(this, 'RunsBucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'TrainingLogGroup', { value: this.jobs.train.logGroup.logGroupName });
    this.acknowledgeNagFindings(endpoint, Boolean(props.mlflow || props.endpoint));
    acknowledgeAutoDeleteProvider(this);
  }

  /**
   * Public subnets and a public IP per task instead of a NAT gateway: the
   * jobs run minutes a week, a NAT gateway bills every hour. The security
   * group takes no inbound traffic, so the public IP only serves egress.
   * With MlflowStack in the app the jobs share its VPC and reach the server
   * on its private address, through a rule that admits this group only.
   */
  private jobNetwork(config: PipelineConfig, mlflow: MlflowConnection, logKey: kms.IKey): { jobQueue: batch.JobQueue; assignPublicIp: boolean } {
    const vpc = mlflow.vpc ?? this.newVpc(config, logKey);
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
    const jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [{ computeEnvironment, order: 1 }],
      priority: 1,
    });
    jobQueue.applyRemovalPolicy(RemovalPolicy.DESTROY);
    return { jobQueue, assignPublicIp: publicSubnets };
  }

  /** The three steps of the state machine, each a Batch job with its own role. */
  private createJobs(
    config: PipelineConfig,
    endpoint: EndpointTarget,
    common: JobCommon,
    environment: Record<string, string>,
    secrets: Record<string, batch.Secret>,
  ): { train: RookeryBatchJob; register: RookeryBatchJob; deploy: RookeryBatchJob } {
    const manual = `s3://${this.bucket.bucketName}/runs/manual`;
    const train = new RookeryBatchJob(this, 'TrainJob', {
      ...common,
      command: [
        'train', '--no-register', '--name', config.modelName,
        '--accuracy-threshold', 'Ref::accuracyThreshold', '--out', 'Ref::artifactUri', '--result', 'Ref::resultUri',
      ],
      parameters: { accuracyThreshold: String(config.accuracyThreshold), artifactUri: `${manual}/model`, resultUri: `${manual}/training.json` },
      environment,
      secrets,
      resources: config.training,
    });
    this.allowObjects(train.role, ['s3:PutObject'], 'runs/*');

    const register = new RookeryBatchJob(this, 'RegisterJob', {
      ...common,
      command: ['models', 'register', '--from', 'Ref::trainingResultUri', '--name', config.modelName, '--alias', config.alias, '--result', 'Ref::resultUri'],
      parameters: { trainingResultUri: `${manual}/training.json`, resultUri: `${manual}/registration.json` },
      environment,
      secrets,
      resources: config.step,
    });
    this.allowObjects(register.role, ['s3:GetObject', 's3:PutObject'], 'runs/*');

    const deploy = new RookeryBatchJob(this, 'DeployJob', {
      ...common,
      command: ['deploy', 'sagemaker', '--endpoint', endpoint.endpointName, '--model', 'Ref::modelRef'],
      parameters: { modelRef: `models:/${config.modelName}@${config.alias}` },
      environment: { ...environment, ...endpoint.deployEnvironment },
      secrets,
      resources: config.step,
    });
    this.grantDeploy(deploy.role, endpoint);
    return { train, register, deploy };
  }

  /** Scheduled Batch Transform scoring with the endpoint's model, into batch-scores/ of the runs bucket, captured where the endpoint captures. */
  private batchScoring(scoring: NonNullable<PipelineConfig['batchScoring']>, config: PipelineConfig, endpoint: EndpointTarget, logKey: kms.IKey): BatchScoring {
    if (endpoint.executionRole) this.grantBatchScoring(endpoint.executionRole, scoring.inputUri);
    return new BatchScoring(this, 'BatchScoring', {
      ...scoring,
      outputUri: `s3://${this.bucket.bucketName}/${BATCH_OUTPUT_PREFIX}`,
      endpointName: endpoint.endpointName,
      ...(endpoint.captureUri ? { captureUri: endpoint.captureUri } : {}),
      ...(endpoint.captureBucket?.encryptionKey ? { key: endpoint.captureBucket.encryptionKey } : {}),
      logRetention: config.logRetentionDays,
      logKey,
    });
  }

  /**
   * The scheduled job's input and output to the model's role, which SageMaker reads and writes them with. The runs
   * bucket has no key of its own (SSE-S3); the scores are encrypted with the endpoint's key, which the role already uses.
   */
  private grantBatchScoring(role: iam.IRole, inputUri: string): void {
    const input = uriPrefix(this.partition, inputUri);
    const scores = this.bucket.arnForObjects(`${BATCH_OUTPUT_PREFIX}/*`);
    const policy = new iam.Policy(this, 'BatchScoringModelAccess', {
      roles: [role],
      statements: [...prefixReads(input), new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [scores] })],
    });
    acknowledgeResource(policy, 'AwsSolutions-IAM5', prefixObjects(input),
      'The scheduled transform job scores every object under the batchInput prefix given in context, whose names are known only at run time; the model\'s role reads and lists that prefix and nothing else of the bucket.');
    acknowledgeResource(policy, 'AwsSolutions-IAM5', scores,
      'Each scheduled run writes its scores under batch-scores/<execution name>/ of the runs bucket, a name known only at run time; the model\'s role may only put objects (and abort its own multipart uploads) under that prefix.');
  }

  private driftMonitor(config: PipelineConfig, endpoint: EndpointTarget, job: DriftMonitorProps['job']): DriftMonitor {
    if (!endpoint.captureUri || !endpoint.groundTruthUri) {
      throw new UserError(
        'enableMonitoring=true needs the endpoint\'s capture and ground-truth locations: deploy with EndpointStack in the same app, or pass -c captureUri=s3://... -c groundTruthUri=s3://...',
      );
    }
    return new DriftMonitor(this, 'DriftMonitor', {
      endpointName: endpoint.endpointName,
      captureUri: endpoint.captureUri,
      groundTruthUri: endpoint.groundTruthUri,
      ...(endpoint.captureBucket ? { captureBucket: endpoint.captureBucket, batchPrefixes: [`${BATCH_INPUT_PREFIX}/`, `${BATCH_OUTPUT_PREFIX}/`] } : {}),
      reportBucket: this.bucket,
      ...(config.batchScoring ? { batchScoring: { inputUri: config.batchScoring.inputUri, outputPrefix: BATCH_OUTPUT_PREFIX } } : {}),
      job,
      resources: config.monitoring,
      jobQueue: this.jobQueue,
      schedule: config.monitoringSchedule,
      ...(config.retrainOnDrift ? { retrain: this.stateMachine } : {}),
    });
  }

  private newVpc(config: PipelineConfig, logKey: kms.IKey): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'jobs', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', { retention: config.logRetentionDays as logs.RetentionDays, encryptionKey: logKey, removalPolicy: RemovalPolicy.DESTROY }),
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
      throw new UserError(
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
  }
}
