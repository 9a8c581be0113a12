import { AssetHashType, CfnOutput, Duration, RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import type * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import type { EndpointConfig } from './config.ts';
import { BATCH_JOB_PREFIX } from './constructs/batch-scoring.ts';
import { alarmNames, BATCH_INPUT_PREFIX, BATCH_OUTPUT_PREFIX, CAPTURE_PREFIX, MODELS_PREFIX, SageMakerEndpoint, TRANSFORM_LOG_GROUP } from './constructs/sagemaker-endpoint.ts';
import type { EndpointTarget } from './pipeline-stack.ts';
import { allowLogGroups, denyGrantsButForServices } from './support/keys.ts';
import { RookeryStack } from './support/logical-ids.ts';
import { acknowledge } from './support/nag.ts';
import { SERVING_IMAGE_ASSET } from './support/serving-image.ts';

export const GROUND_TRUTH_PREFIX = 'ground-truth';

/** The model EndpointStack serves, packed by the app (stacks/support/served-model.ts). */
export interface ServedModel {
  /** The model.tar.gz on disk, inside the cloud assembly folder. */
  readonly archivePath: string;
  /** SHA-256 over the model's files: the archive's identity, its asset hash and the model's tag. */
  readonly sha256: string;
  /** The registered name. */
  readonly name: string;
  /**
   * The registry version.
   * @default none: the model came from a plain directory
   */
  readonly version?: number;
  /**
   * How it was chosen, e.g. `penguins@champion (version 4) from the local
   * registry`; it goes into the template (ServedModel), so it never holds a
   * path: the same model synthesizes the same everywhere.
   */
  readonly origin: string;
}

export interface EndpointStackProps extends StackProps {
  /** Endpoint name, instances, scaling, capture sampling, alarm thresholds and baking period. */
  readonly config: EndpointConfig;
  readonly model: ServedModel;
  /**
   * Keep the bucket, key and log group on `cdk destroy`.
   * @default false
   */
  readonly retainData?: boolean;
}

/**
 * The model served as a SageMaker real-time endpoint: the serving image built
 * from container/Dockerfile, the model artifact as model.tar.gz, Data Capture
 * of every request and answer into a KMS-encrypted bucket the stack owns,
 * autoscaling on invocations per instance, and the alarms that both page
 * and roll a bad update back.
 */
export class EndpointStack extends RookeryStack {
  readonly config: EndpointConfig;
  readonly model: ServedModel;
  readonly bucket: s3.Bucket;
  /** The data bucket's server access logs. */
  readonly accessLogs: s3.Bucket;
  readonly key: kms.Key;
  readonly image: DockerImageAsset;
  readonly modelData: Asset;
  readonly serving: SageMakerEndpoint;
  readonly executionRole: iam.Role;
  readonly cfnModel: sagemaker.CfnModel;
  readonly endpointConfig: sagemaker.CfnEndpointConfig;
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly alarms: SageMakerEndpoint['alarms'];
  readonly scalableTarget?: appscaling.CfnScalableTarget;
  /** `s3://bucket/capture`: SageMaker writes `<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl` below it. */
  readonly captureUri: string;
  /** `s3://bucket/ground-truth`: where `rookery label` writes Model Monitor's ground truth. */
  readonly groundTruthUri: string;
  /** What PipelineStack needs to deploy to and monitor this endpoint. */
  readonly target: EndpointTarget;

  constructor(scope: Construct, id: string, props: EndpointStackProps) {
    super(scope, id, props);
    // S3 access logs delivered under a bucket policy (for logging.s3.amazonaws.com, from this data bucket
    // only) instead of the log-delivery ACL, which bucket-owner-enforced buckets reject.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const { config, model } = props;
    this.config = config;
    this.model = model;
    const retainData = props.retainData ?? false;
    const removalPolicy = retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const name = config.endpointName;

    this.key = new kms.Key(this, 'DataKey', {
      description: `rookery ${name}: model artifacts, Data Capture files and ground truth`,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });
    denyGrantsButForServices(this.key);
    allowLogGroups(this.key);
    this.accessLogs = this.newAccessLogs(retainData);
    this.bucket = new s3.Bucket(this, 'DataBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: !retainData,
      // Versions: a relabelled ground-truth file or an overwritten model can be got back for 30 days.
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7), noncurrentVersionExpiration: Duration.days(30) }],
    });
    this.groundTruthUri = `s3://${this.bucket.bucketName}/${GROUND_TRUTH_PREFIX}`;

    // SageMaker writes the containers' output here; owning it gives it a retention and lets `cdk destroy` remove it.
    // A year (AWS Control Tower's CT.CLOUDWATCH.PR.2), encrypted with the stack's key (CT.CLOUDWATCH.PR.3).
    const logGroup = new logs.LogGroup(this, 'EndpointLogs', { logGroupName: `/aws/sagemaker/Endpoints/${name}`, retention: logs.RetentionDays.ONE_YEAR, encryptionKey: this.key, removalPolicy });

    this.image = new DockerImageAsset(this, 'ServingImage', SERVING_IMAGE_ASSET);
    // The content hash of the model's files names the asset, so re-synthesizing the same model never re-uploads it.
    this.modelData = new Asset(this, 'ModelData', { path: model.archivePath, assetHash: model.sha256, assetHashType: AssetHashType.CUSTOM });

    this.serving = new SageMakerEndpoint(this, 'SageMakerEndpoint', {
      config,
      image: this.image,
      modelData: this.modelData,
      model,
      bucket: this.bucket,
      key: this.key,
      logGroup,
    });
    this.executionRole = this.serving.executionRole;
    this.cfnModel = this.serving.cfnModel;
    this.endpointConfig = this.serving.endpointConfig;
    this.endpoint = this.serving.endpoint;
    this.alarms = this.serving.alarms;
    this.captureUri = this.serving.captureUri;
    if (this.serving.scalableTarget) this.scalableTarget = this.serving.scalableTarget;

    this.target = {
      endpointName: name,
      captureUri: this.captureUri,
      groundTruthUri: this.groundTruthUri,
      captureBucket: this.bucket,
      executionRole: this.executionRole,
      deployPolicy: this.deployPolicy(),
      deployPolicyWildcards: [
        {
          resource: this.bucket.arnForObjects(`${MODELS_PREFIX}/*`),
          reason: '`rookery deploy sagemaker` uploads each new model.tar.gz under models/<name>/<version>-<sha>/ of the endpoint\'s bucket at run time; the deploy job may only put objects under that prefix.',
        },
      ],
    };
    this.outputs();
    this.acknowledgeFindings();
  }

  /** Who read the captured requests and answers: S3 delivers access logs only to an SSE-S3 bucket. */
  private newAccessLogs(retainData: boolean): s3.Bucket {
    return new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !retainData,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(1) }],
    });
  }

  private outputs(): void {
    const { endpointName: name } = this.config;
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('EndpointName', name, 'rookery invoke|traffic --target sagemaker --endpoint NAME; rookery deploy sagemaker --endpoint NAME');
    output('ServedModel', `${this.model.origin}, content sha256 ${this.model.sha256.slice(0, 12)}`, 'The model this stack deployed');
    output('DataBucketName', this.bucket.bucketName, 'Model artifacts, Data Capture files and ground truth');
    output('CaptureUri', this.captureUri, 'rookery label|monitor --datastore (files under <endpoint>/<variant>/yyyy/mm/dd/hh/)');
    output('GroundTruthUri', this.groundTruthUri, 'rookery label|monitor --ground-truth');
    output('ModelsUri', `s3://${this.bucket.bucketName}/${MODELS_PREFIX}`, 'Where rookery deploy sagemaker uploads model.tar.gz files');
    output('BatchInputUri', `s3://${this.bucket.bucketName}/${BATCH_INPUT_PREFIX}/`, 'rookery score --target sagemaker --input (the execution role reads under it)');
    output('BatchScoresUri', `s3://${this.bucket.bucketName}/${BATCH_OUTPUT_PREFIX}/`, 'rookery score --target sagemaker --output (the execution role writes under it)');
    output('ExecutionRoleArn', this.executionRole.roleArn, 'The role SageMaker runs the model with');
    output('ImageUri', this.image.imageUri, 'The serving image');
    output('AlarmNames', alarmNames(name).join(','), 'Alarms that roll a deployment back');
  }

  private deployPolicy(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${MODELS_PREFIX}/*`)] }),
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:DescribeKey'], resources: [this.key.keyArn] }),
      // The new endpoint configuration encrypts its instances' volumes with the stack's key.
      new iam.PolicyStatement({ actions: ['kms:CreateGrant'], resources: [this.key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [this.alarms.errors.alarmArn, this.alarms.latency.alarmArn] }),
    ];
  }

  /** Every cdk-nag finding this stack keeps, each with why it stays. */
  private acknowledgeFindings(): void {
    const role = this.executionRole;
    const bucketArn = `<${this.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]',
      'Two actions with no resource-level permissions: ecr:GetAuthorizationToken (every ECR pull needs it; the layer actions name the one assets repository) and cloudwatch:PutMetricData, limited by the cloudwatch:namespace condition to SageMaker\'s instance-metrics namespace.');
    acknowledge(role, `AwsSolutions-IAM5[Resource::${bucketArn}/${MODELS_PREFIX}/*]`,
      '`rookery deploy sagemaker` uploads each new model version under models/<name>/<version>-<sha>/ at run time; the role only reads that prefix of the stack\'s own bucket.');
    acknowledge(role, `AwsSolutions-IAM5[Resource::${bucketArn}/${CAPTURE_PREFIX}/*]`,
      'SageMaker Data Capture writes one object per instance and hour under capture/<endpoint>/<variant>/yyyy/mm/dd/hh/; the role may only put objects under that prefix.');
    acknowledge(role, `AwsSolutions-IAM5[Resource::${bucketArn}/${BATCH_INPUT_PREFIX}/*]`,
      'A Batch Transform job scores every object under the input prefix the user names at run time (`rookery score --target sagemaker --input`); the role only reads under batch/ of the stack\'s own bucket and lists only that prefix.');
    acknowledge(role, `AwsSolutions-IAM5[Resource::${bucketArn}/${BATCH_OUTPUT_PREFIX}/*]`,
      'A Batch Transform job writes one <input name>.out per input object under the output prefix named at run time; the role may only put objects (and abort its own multipart uploads) under batch-scores/ of the stack\'s own bucket.');
    const transformLogs = `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${TRANSFORM_LOG_GROUP}`;
    acknowledge(role, `AwsSolutions-IAM5[Resource::${transformLogs}:*]`,
      'SageMaker writes every transform job\'s container output to its own account-wide group, which it creates on first use; the role may create that one group and read its streams, nothing of any other group.');
    acknowledge(role, `AwsSolutions-IAM5[Resource::${transformLogs}:log-stream:${BATCH_JOB_PREFIX}*]`,
      'Each transform job writes streams named after the job, known only at run time; the role may write only the streams of rookery-score- jobs in SageMaker\'s transform log group.');
    acknowledge(this.accessLogs, 'AwsSolutions-S1', 'It is the access-log bucket of the data bucket; logging its own access would log every log delivery.');
  }
}

