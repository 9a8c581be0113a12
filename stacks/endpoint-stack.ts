import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AssetHashType, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import type { EndpointTarget } from './pipeline-stack.ts';
import { readContext, type RookeryContext } from './shared/context.ts';
import { readEndpointConfig, VARIANT_NAME, type EndpointConfig } from './shared/endpoint-config.ts';
import { packageModel, resolveModelSource, type ModelSource, type PackagedModel } from './shared/model-artifact.ts';
import { acknowledge } from './shared/nag.ts';
import { REPO_ROOT, SERVING_IMAGE_ASSET } from './shared/serving-image.ts';

/** Prefixes of the stack's bucket; `rookery deploy sagemaker` uploads under MODELS_PREFIX. */
export const MODELS_PREFIX = 'models';
export const CAPTURE_PREFIX = 'capture';
export const GROUND_TRUTH_PREFIX = 'ground-truth';
/** Where SageMaker publishes the endpoint instances' CPU, memory and disk metrics with the execution role. */
export const INSTANCE_METRICS_NAMESPACE = '/aws/sagemaker/Endpoints';

export interface EndpointStackProps extends StackProps {
  /** The app's shared settings (retainData); read from context when absent. */
  context?: RookeryContext;
  /** The model to serve when the app resolved it (an MLflow reference); otherwise `-c model` or the local champion. */
  model?: ModelSource;
  /** Where model.tar.gz is written at synth time (default ROOKERY_BUILD, else .rookery/build in the repository). */
  buildDir?: string;
}

/**
 * Families whose instances carry NVMe instance storage: SageMaker rejects a
 * storage-volume KMS key for them (that storage is encrypted by the hardware).
 */
const INSTANCE_STORAGE_FAMILIES = /^ml\.([a-z]+\d+[a-z]*d[a-z]*|g4dn|g5|g6|g6e|p4d|p4de|p5|p5e|inf2|trn1|trn1n)\./;

/**
 * The model served as a SageMaker real-time endpoint: the serving image built
 * from container/Dockerfile, the model artifact as model.tar.gz, Data Capture
 * of every request and answer into a KMS-encrypted bucket the stack owns,
 * autoscaling on invocations per instance, and the alarms that both page
 * and roll a bad update back.
 */
export class EndpointStack extends Stack {
  readonly config: EndpointConfig;
  readonly model: PackagedModel;
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly executionRole: iam.Role;
  readonly image: DockerImageAsset;
  readonly modelData: Asset;
  readonly cfnModel: sagemaker.CfnModel;
  readonly endpointConfig: sagemaker.CfnEndpointConfig;
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly alarms: { errors: cloudwatch.Alarm; latency: cloudwatch.Alarm };
  readonly scalableTarget?: appscaling.CfnScalableTarget;
  /** `s3://bucket/capture`: SageMaker writes `<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl` below it. */
  readonly captureUri: string;
  /** `s3://bucket/ground-truth`: where `rookery label` writes Model Monitor's ground truth. */
  readonly groundTruthUri: string;
  /** What PipelineStack needs to deploy to and monitor this endpoint. */
  readonly target: EndpointTarget;

  constructor(scope: Construct, id: string, props: EndpointStackProps = {}) {
    super(scope, id, props);
    const config = (this.config = readEndpointConfig(this.node));
    const retainData = (props.context ?? readContext(this.node)).retainData;
    const removalPolicy = retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const name = config.endpointName;

    const source = props.model ?? resolveModelSource(config.model);
    const model = (this.model = packageModel(source, props.buildDir ?? (process.env.ROOKERY_BUILD?.trim() || join(REPO_ROOT, '.rookery', 'build'))));

    this.key = new kms.Key(this, 'DataKey', {
      description: `rookery ${name}: model artifacts, Data Capture files and ground truth`,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });
    this.bucket = new s3.Bucket(this, 'DataBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: !retainData,
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });
    this.captureUri = `s3://${this.bucket.bucketName}/${CAPTURE_PREFIX}`;
    this.groundTruthUri = `s3://${this.bucket.bucketName}/${GROUND_TRUTH_PREFIX}`;

    // SageMaker writes the containers' output here; owning it gives it a retention and lets `cdk destroy` remove it.
    const logGroup = new logs.LogGroup(this, 'EndpointLogs', {
      logGroupName: `/aws/sagemaker/Endpoints/${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    this.image = new DockerImageAsset(this, 'ServingImage', SERVING_IMAGE_ASSET);
    // The content hash of the model's files names the asset, so re-synthesizing the same model never re-uploads it.
    this.modelData = new Asset(this, 'ModelData', { path: model.archivePath, assetHash: model.sha256, assetHashType: AssetHashType.CUSTOM });

    this.alarms = this.createAlarms(config);
    this.executionRole = this.createExecutionRole(logGroup);

    const environment = { MODEL_DIR: '/opt/ml/model', DATA_CAPTURE: 'false' };
    // Names carry a hash of everything they are built from: CloudFormation
    // replaces a model or configuration on any change, and a new one must not
    // take the old one's name while that still exists.
    const modelName = `${name}-${digest({ image: this.image.assetHash, model: model.sha256, environment })}`;
    this.cfnModel = new sagemaker.CfnModel(this, 'Model', {
      modelName,
      executionRoleArn: this.executionRole.roleArn,
      primaryContainer: {
        image: this.image.imageUri,
        mode: 'SingleModel',
        modelDataUrl: this.modelData.s3ObjectUrl,
        environment,
      },
      // The server only answers requests: it calls nothing, so it gets no network.
      enableNetworkIsolation: true,
      tags: [
        { key: 'rookery:model', value: model.version === undefined ? model.name : `${model.name}/${model.version}` },
        { key: 'rookery:model-sha256', value: model.sha256 },
      ],
    });
    // SageMaker checks the image and artifact with the role as soon as the model is created.
    this.cfnModel.node.addDependency(this.executionRole);

    const dataCaptureConfig: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty = {
      enableCapture: true,
      initialSamplingPercentage: config.samplingPercentage,
      destinationS3Uri: this.captureUri,
      kmsKeyId: this.key.keyArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
    };
    const volumeKey = INSTANCE_STORAGE_FAMILIES.test(config.instanceType) ? {} : { kmsKeyId: this.key.keyArn };
    const variant = {
      variantName: VARIANT_NAME,
      modelName,
      instanceType: config.instanceType,
      initialInstanceCount: config.instanceCount,
      initialVariantWeight: 1,
    };
    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      endpointConfigName: `${name}-${digest({ modelName, variant, dataCaptureConfig: { ...dataCaptureConfig, kmsKeyId: 'stack key' }, volumeKey: 'kmsKeyId' in volumeKey })}`,
      productionVariants: [variant],
      dataCaptureConfig,
      ...volumeKey,
    });
    this.endpointConfig.node.addDependency(this.cfnModel);

    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: name,
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
    this.endpoint.node.addDependency(logGroup);
    // On `cdk destroy` the endpoint (and its capture writes) must be gone before the bucket is emptied.
    const emptyBucket = this.bucket.node.tryFindChild('AutoDeleteObjectsCustomResource');
    if (emptyBucket) this.endpoint.node.addDependency(emptyBucket);

    if (config.maxInstances > config.minInstances) {
      this.scalableTarget = this.createAutoscaling(config);
    }

    this.target = {
      endpointName: name,
      captureUri: this.captureUri,
      groundTruthUri: this.groundTruthUri,
      captureBucket: this.bucket,
      deployPolicy: this.deployPolicy(),
      deployPolicyWildcards: [
        {
          resource: this.bucket.arnForObjects(`${MODELS_PREFIX}/*`),
          reason: '`rookery deploy sagemaker` uploads each new model.tar.gz under models/<name>/<version>-<sha>/ of the endpoint\'s bucket at run time; the deploy job may only put objects under that prefix.',
        },
      ],
    };

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('EndpointName', name, 'rookery invoke|traffic --target sagemaker --endpoint NAME; rookery deploy sagemaker --endpoint NAME');
    output('ServedModel', `${model.origin}, content sha256 ${model.sha256.slice(0, 12)}`, 'The model this stack deployed');
    output('DataBucketName', this.bucket.bucketName, 'Model artifacts, Data Capture files and ground truth');
    output('CaptureUri', this.captureUri, 'rookery label|monitor --datastore (files under <endpoint>/<variant>/yyyy/mm/dd/hh/)');
    output('GroundTruthUri', this.groundTruthUri, 'rookery label|monitor --ground-truth');
    output('ModelsUri', `s3://${this.bucket.bucketName}/${MODELS_PREFIX}`, 'Where rookery deploy sagemaker uploads model.tar.gz files');
    output('ExecutionRoleArn', this.executionRole.roleArn, 'The role SageMaker runs the model with');
    output('ImageUri', this.image.imageUri, 'The serving image');
    output('AlarmNames', alarmNames(name).join(','), 'Alarms that roll a deployment back');

    this.acknowledgeFindings();
  }

  private createAlarms(config: EndpointConfig): { errors: cloudwatch.Alarm; latency: cloudwatch.Alarm } {
    const dimensionsMap = { EndpointName: config.endpointName, VariantName: VARIANT_NAME };
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName, dimensionsMap, statistic, period: Duration.minutes(1) });
    // Both alarms watch the whole variant (old and new fleet together), so the
    // same two alarms guard every update; no traffic is not an error.
    const errors = new cloudwatch.Alarm(this, 'Invocation5xxAlarm', {
      alarmName: alarmNames(config.endpointName)[0],
      alarmDescription: `${config.endpointName} answered ${config.errorAlarmCount} or more 5xx errors in a minute; rolls back a deployment in progress`,
      metric: metric('Invocation5XXErrors', cloudwatch.Stats.SUM),
      threshold: config.errorAlarmCount,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latency = new cloudwatch.Alarm(this, 'ModelLatencyAlarm', {
      alarmName: alarmNames(config.endpointName)[1],
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
   * capture/, use the stack's key for those, write its own log group and
   * instance metrics, and read the rollback alarms' state.
   */
  private createExecutionRole(logGroup: logs.LogGroup): iam.Role {
    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of the ${this.config.endpointName} endpoint`,
    });
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, Record<string, string>>) =>
      role.addToPolicy(new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }));

    allow('PullServingImage', ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], [this.image.repository.repositoryArn]);
    allow('EcrLogin', ['ecr:GetAuthorizationToken'], ['*']);
    allow('ReadModelArtifacts', ['s3:GetObject'], [
      this.modelData.bucket.arnForObjects(this.modelData.s3ObjectKey),
      this.bucket.arnForObjects(`${MODELS_PREFIX}/*`),
    ]);
    allow('WriteDataCapture', ['s3:PutObject'], [this.bucket.arnForObjects(`${CAPTURE_PREFIX}/*`)]);
    allow('UseDataKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], [this.key.keyArn]);
    allow('WriteEndpointLogs', ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], [logGroup.logGroupArn]);
    allow('PublishInstanceMetrics', ['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': INSTANCE_METRICS_NAMESPACE } });
    allow('ReadRollbackAlarms', ['cloudwatch:DescribeAlarms'], [this.alarms.errors.alarmArn, this.alarms.latency.alarmArn]);
    return role;
  }

  private createAutoscaling(config: EndpointConfig): appscaling.CfnScalableTarget {
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

  /** What `rookery deploy sagemaker` needs beyond the SageMaker calls on the endpoint's own models and configurations. */
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
    acknowledge(this.bucket, 'AwsSolutions-S1',
      'The bucket holds model artifacts, captures and labels written by the stack\'s own role and the rookery CLI; CloudTrail data events audit access if needed, and a log bucket would outlive `cdk destroy`.');
  }
}

/** The 5xx-error and model-latency alarms' names; `rookery deploy sagemaker` finds them on the endpoint's last deployment. */
export function alarmNames(endpointName: string): [errors: string, latency: string] {
  return [`${endpointName}-5xx-errors`, `${endpointName}-model-latency`];
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}
