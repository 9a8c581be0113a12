import { createHash } from 'node:crypto';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import { MODEL_HASH_TAG } from '../../model/content-hash.ts';
import type { EndpointConfig } from '../config.ts';
import { GroupingConstruct } from '../support/logical-ids.ts';
import { BATCH_JOB_PREFIX } from './batch-scoring.ts';

/** The variant every rookery endpoint serves through; alarms, scaling and `rookery deploy sagemaker` name it. */
export const VARIANT_NAME = 'AllTraffic';
/** Prefixes of the endpoint's bucket; `rookery deploy sagemaker` uploads under MODELS_PREFIX. */
export const MODELS_PREFIX = 'models';
export const CAPTURE_PREFIX = 'capture';
/** Where Batch Transform jobs with the model's role may read input (`rookery score --target sagemaker --input`) and write scores (`--output`). */
export const BATCH_INPUT_PREFIX = 'batch';
export const BATCH_OUTPUT_PREFIX = 'batch-scores';
/** Where SageMaker publishes the endpoint instances' CPU, memory and disk metrics with the execution role. */
export const INSTANCE_METRICS_NAMESPACE = '/aws/sagemaker/Endpoints';
/** The log group SageMaker writes every transform job's container output to (one per account and region, made by SageMaker on first use). */
export const TRANSFORM_LOG_GROUP = '/aws/sagemaker/TransformJobs';

/** The serving image (a DockerImageAsset is one). */
export interface ServingImageRef {
  readonly imageUri: string;
  readonly repository: ecr.IRepository;
  /** Goes into the model's name, so a new image makes a new model. */
  readonly assetHash: string;
}

/** The uploaded model.tar.gz (an s3-assets Asset is one). */
export interface ModelDataRef {
  readonly bucket: s3.IBucket;
  readonly s3ObjectKey: string;
  readonly s3ObjectUrl: string;
}

/** What is served, for names and tags. */
export interface ModelIdentity {
  readonly name: string;
  /**
   * The registry version.
   * @default none: the tag names the model without a version
   */
  readonly version?: number;
  /** The content hash of the model's files (model/content-hash.ts). */
  readonly sha256: string;
}

export interface SageMakerEndpointProps {
  /** Endpoint name, instances, scaling, capture sampling, alarm thresholds and baking period. */
  readonly config: Omit<EndpointConfig, 'model'>;
  readonly image: ServingImageRef;
  readonly modelData: ModelDataRef;
  readonly model: ModelIdentity;
  /** Holds captures (under capture/), the models `rookery deploy sagemaker` uploads (under models/), and batch input and scores (under batch/ and batch-scores/). */
  readonly bucket: s3.IBucket;
  /** Encrypts the captures and, where the instance type allows, the instances' volumes. */
  readonly key: kms.IKey;
  /** The endpoint's container log group, which SageMaker writes with the execution role. */
  readonly logGroup: logs.ILogGroup;
}

/**
 * Families whose instances carry NVMe instance storage: SageMaker rejects a
 * storage-volume KMS key for them (that storage is encrypted by the hardware).
 */
const INSTANCE_STORAGE_FAMILIES = /^ml\.([a-z]+\d+[a-z]*d[a-z]*|g4dn|g5|g6|g6e|p4d|p4de|p5|p5e|inf2|trn1|trn1n)\./;

/**
 * A SageMaker real-time endpoint: its execution role, model, endpoint
 * configuration with Data Capture of every request and answer, the endpoint
 * with a guarded blue/green update, the two alarms that both page and roll a
 * bad update back, and autoscaling on invocations per instance.
 */
export class SageMakerEndpoint extends GroupingConstruct {
  readonly executionRole: iam.Role;
  readonly cfnModel: sagemaker.CfnModel;
  readonly endpointConfig: sagemaker.CfnEndpointConfig;
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly alarms: { readonly errors: cloudwatch.Alarm; readonly latency: cloudwatch.Alarm };
  /** Set when maxInstances exceeds minInstances. */
  readonly scalableTarget?: appscaling.CfnScalableTarget;
  /** `s3://bucket/capture`: SageMaker writes `<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl` below it. */
  readonly captureUri: string;

  constructor(scope: Construct, id: string, props: SageMakerEndpointProps) {
    super(scope, id);
    const { config } = props;
    this.captureUri = `s3://${props.bucket.bucketName}/${CAPTURE_PREFIX}`;
    this.alarms = this.createAlarms(config);
    this.executionRole = this.createExecutionRole(props);

    const environment = { MODEL_DIR: '/opt/ml/model', DATA_CAPTURE: 'false' };
    // Names carry a hash of everything they are built from: CloudFormation
    // replaces a model or configuration on any change, and a new one must not
    // take the old one's name while that still exists.
    const modelName = `${config.endpointName}-${digest({ image: props.image.assetHash, model: props.model.sha256, environment })}`;
    this.cfnModel = new sagemaker.CfnModel(this, 'Model', {
      modelName,
      executionRoleArn: this.executionRole.roleArn,
      primaryContainer: { image: props.image.imageUri, mode: 'SingleModel', modelDataUrl: props.modelData.s3ObjectUrl, environment },
      // The server only answers requests: it calls nothing, so it gets no network.
      enableNetworkIsolation: true,
      tags: [
        { key: 'rookery:model', value: props.model.version === undefined ? props.model.name : `${props.model.name}/${props.model.version}` },
        { key: MODEL_HASH_TAG, value: props.model.sha256 },
      ],
    });
    // SageMaker checks the image and artifact with the role as soon as the model is created,
    // so its policy must exist first (the role itself is already ordered by executionRoleArn).
    this.cfnModel.node.addDependency(this.executionRole.node.findChild('DefaultPolicy'));

    this.endpointConfig = this.createEndpointConfig(props, modelName);
    this.endpoint = this.createEndpoint(props);
    if (config.maxInstances > config.minInstances) this.scalableTarget = this.createAutoscaling(config);
  }

  private createAlarms(config: SageMakerEndpointProps['config']): SageMakerEndpoint['alarms'] {
    const dimensionsMap = { EndpointName: config.endpointName, VariantName: VARIANT_NAME };
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName, dimensionsMap, statistic, period: Duration.minutes(1) });
    const [errorsName, latencyName] = alarmNames(config.endpointName);
    // Both alarms watch the whole variant (old and new fleet together), so the
    // same two alarms guard every update; no traffic is not an error.
    const errors = new cloudwatch.Alarm(this, 'Invocation5xxAlarm', {
      alarmName: errorsName,
      alarmDescription: `${config.endpointName} answered ${config.errorAlarmCount} or more 5xx errors in a minute; rolls back a deployment in progress`,
      metric: metric('Invocation5XXErrors', cloudwatch.Stats.SUM),
      threshold: config.errorAlarmCount,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latency = new cloudwatch.Alarm(this, 'ModelLatencyAlarm', {
      alarmName: latencyName,
      alarmDescription: `${config.endpointName} model latency averaged over ${config.latencyAlarmMs} ms in 2 of the last 3 minutes; rolls back a deployment in progress`,
      // ModelLatency is reported in microseconds.
      metric: metric('ModelLatency', cloudwatch.Stats.AVERAGE),
      threshold: config.latencyAlarmMs * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return { errors, latency };
  }

  /**
   * What SageMaker may do while hosting the model: pull this one image, read
   * this model artifact and the models/ prefix, write captures under
   * capture/, read transform input under batch/ and write its scores under
   * batch-scores/ (Batch Transform runs the same model with this role), use
   * the key for those, write its own log group, its transform jobs' log
   * streams and instance metrics, and read the rollback alarms' state.
   */
  private createExecutionRole(props: SageMakerEndpointProps): iam.Role {
    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of the ${props.config.endpointName} endpoint`,
    });
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, Record<string, string>>) =>
      role.addToPolicy(new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }));

    allow('PullServingImage', ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], [props.image.repository.repositoryArn]);
    allow('EcrLogin', ['ecr:GetAuthorizationToken'], ['*']);
    allow('ReadModelArtifacts', ['s3:GetObject'], [
      props.modelData.bucket.arnForObjects(props.modelData.s3ObjectKey),
      props.bucket.arnForObjects(`${MODELS_PREFIX}/*`),
    ]);
    allow('WriteDataCapture', ['s3:PutObject'], [props.bucket.arnForObjects(`${CAPTURE_PREFIX}/*`)]);
    // A transform job lists its S3Prefix input, then reads each object; it writes each output by multipart upload.
    allow('ListBatchInput', ['s3:ListBucket'], [props.bucket.bucketArn], { StringLike: { 's3:prefix': `${BATCH_INPUT_PREFIX}/*` } });
    allow('ReadBatchInput', ['s3:GetObject'], [props.bucket.arnForObjects(`${BATCH_INPUT_PREFIX}/*`)]);
    allow('WriteBatchScores', ['s3:PutObject', 's3:AbortMultipartUpload'], [props.bucket.arnForObjects(`${BATCH_OUTPUT_PREFIX}/*`)]);
    allow('UseDataKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], [props.key.keyArn]);
    allow('WriteEndpointLogs', ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], [props.logGroup.logGroupArn]);
    // A transform job's container output goes to SageMaker's shared group, a stream per job (`<job name>/<instance>`): only rookery's jobs' streams.
    const transformLogs = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: TRANSFORM_LOG_GROUP, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    allow('CreateTransformLogGroup', ['logs:CreateLogGroup', 'logs:DescribeLogStreams'], [`${transformLogs}:*`]);
    allow('WriteTransformLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], [`${transformLogs}:log-stream:${BATCH_JOB_PREFIX}*`]);
    allow('PublishInstanceMetrics', ['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': INSTANCE_METRICS_NAMESPACE } });
    allow('ReadRollbackAlarms', ['cloudwatch:DescribeAlarms'], [this.alarms.errors.alarmArn, this.alarms.latency.alarmArn]);
    return role;
  }

  private createEndpointConfig(props: SageMakerEndpointProps, modelName: string): sagemaker.CfnEndpointConfig {
    const { config } = props;
    const dataCaptureConfig: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty = {
      enableCapture: true,
      initialSamplingPercentage: config.samplingPercentage,
      destinationS3Uri: this.captureUri,
      kmsKeyId: props.key.keyArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
    };
    const volumeKey = INSTANCE_STORAGE_FAMILIES.test(config.instanceType) ? {} : { kmsKeyId: props.key.keyArn };
    const variant = {
      variantName: VARIANT_NAME,
      modelName,
      instanceType: config.instanceType,
      initialInstanceCount: config.instanceCount,
      initialVariantWeight: 1,
    };
    // Digested as the template will hold it: the text of an unresolved token
    // (the bucket's name) carries a counter that other constructs of the app move.
    const identity = Stack.of(this).resolve({ modelName, variant, dataCaptureConfig: { ...dataCaptureConfig, kmsKeyId: 'stack key' }, volumeKey: 'kmsKeyId' in volumeKey });
    const endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      endpointConfigName: `${config.endpointName}-${digest(identity)}`,
      productionVariants: [variant],
      dataCaptureConfig,
      ...volumeKey,
    });
    endpointConfig.node.addDependency(this.cfnModel);
    return endpointConfig;
  }

  private createEndpoint(props: SageMakerEndpointProps): sagemaker.CfnEndpoint {
    const { config } = props;
    const endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: config.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      // A stack update that changes the model or the instances runs the same
      // guarded blue/green update as `rookery deploy sagemaker`: all traffic to
      // the new fleet, then a baking period during which either alarm rolls it back.
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: config.bakeSeconds },
          terminationWaitInSeconds: 0,
          maximumExecutionTimeoutInSeconds: Math.max(600, config.bakeSeconds + 1800),
        },
        autoRollbackConfiguration: { alarms: [{ alarmName: this.alarms.errors.alarmName }, { alarmName: this.alarms.latency.alarmName }] },
      },
    });
    endpoint.node.addDependency(props.logGroup);
    // On `cdk destroy` the endpoint (and its capture writes) must be gone before the bucket is emptied.
    const emptyBucket = props.bucket.node.tryFindChild('AutoDeleteObjectsCustomResource');
    if (emptyBucket) endpoint.node.addDependency(emptyBucket);
    return endpoint;
  }

  private createAutoscaling(config: SageMakerEndpointProps['config']): appscaling.CfnScalableTarget {
    // Level 1 resources: without RoleARN Application Auto Scaling uses its
    // service-linked role for SageMaker, where the level 2 construct would
    // create and pass a role of its own.
    const target = new appscaling.CfnScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: 'sagemaker',
      resourceId: `endpoint/${config.endpointName}/variant/${VARIANT_NAME}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: config.minInstances,
      maxCapacity: config.maxInstances,
    });
    target.node.addDependency(this.endpoint);
    new appscaling.CfnScalingPolicy(this, 'InvocationsScaling', {
      policyName: `${config.endpointName}-invocations-per-instance`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.ref,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: config.invocationsPerInstance,
        predefinedMetricSpecification: { predefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
      },
    });
    return target;
  }
}

/** The 5xx-error and model-latency alarms' names; `rookery deploy sagemaker` finds them on the endpoint's last deployment. */
export function alarmNames(endpointName: string): [errors: string, latency: string] {
  return [`${endpointName}-5xx-errors`, `${endpointName}-model-latency`];
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}
