import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** Transform jobs the state machine may create, stop and read: `rookery-score-<execution>`. */
export const BATCH_JOB_PREFIX = 'rookery-score-';
/** The rule Step Functions manages for `.sync` transform jobs (its documented name). */
const SYNC_RULE = 'StepFunctionsGetEventsForSageMakerTransformJobsRule';

export interface BatchScoringProps {
  /** EventBridge schedule expression of the runs, e.g. `rate(1 day)`. */
  readonly schedule: string;
  /** `s3://bucket/prefix` of the CSV or JSON Lines files to score (every object under it). */
  readonly inputUri: string;
  /** `s3://bucket/prefix` the scores go under, one folder per execution. */
  readonly outputUri: string;
  /** The endpoint whose current model scores (read at each run: `rookery deploy sagemaker` changes it). */
  readonly endpointName: string;
  /**
   * Where Data Capture writes, for `rookery monitor`.
   * @default no capture
   */
  readonly captureUri?: string;
  /**
   * The endpoint's data key: outputs, captures and the instance volume are encrypted with it.
   * @default SageMaker's defaults (the bucket's encryption)
   */
  readonly key?: kms.IKey;
  /**
   * `text/csv` or `application/jsonlines`.
   * @default text/csv
   */
  readonly contentType?: string;
  /**
   * @default ml.m5.large
   */
  readonly instanceType?: string;
  /** Log group retention of the state machine's execution log. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Key of the execution log.
   * @default the log group is not encrypted with a customer key
   */
  readonly logKey?: kms.IKey;
}

/**
 * Scheduled batch scoring: a Step Functions state machine that reads the
 * endpoint's current model (DescribeEndpoint, DescribeEndpointConfig) and
 * runs a SageMaker Batch Transform job with it through the
 * `createTransformJob.sync` integration, with Data Capture, and ends in the
 * named Fail state BatchScoringFailed with the job's cause when anything
 * fails. A CustomState, not `SageMakerCreateTransformJob`: that task has no
 * DataCaptureConfig and creates a role (with AmazonSageMakerFullAccess unless
 * given one) that CreateTransformJob never uses. The model's own execution
 * role reads the input and writes the output, as for the endpoint.
 */
export class BatchScoring extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: BatchScoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const failed = new sfn.Fail(this, 'BatchScoringFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const endpoint = new tasks.CallAwsService(this, 'DescribeEndpoint', {
      service: 'sagemaker',
      action: 'describeEndpoint',
      parameters: { EndpointName: props.endpointName },
      iamResources: [stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: props.endpointName.toLowerCase() })],
      resultSelector: { 'EndpointConfigName.$': '$.EndpointConfigName' },
      resultPath: '$.endpoint',
    });
    const config = new tasks.CallAwsService(this, 'DescribeEndpointConfig', {
      service: 'sagemaker',
      action: 'describeEndpointConfig',
      parameters: { 'EndpointConfigName.$': '$.endpoint.EndpointConfigName' },
      iamResources: [stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '*' })],
      resultSelector: { 'ModelName.$': '$.ProductionVariants[0].ModelName' },
      resultPath: '$.model',
    });
    const transform = new sfn.CustomState(this, 'ScoreBatch', { stateJson: transformState(props, stack.partition) });
    transform.addCatch(failed, { resultPath: '$.error' });
    for (const state of [endpoint, config]) state.addCatch(failed, { resultPath: '$.error' });
    const definition = endpoint.next(config).next(transform).next(new sfn.Succeed(this, 'BatchScored'));
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: { destination: new logs.LogGroup(this, 'Log', { retention: props.logRetention, ...(props.logKey ? { encryptionKey: props.logKey } : {}) }), level: sfn.LogLevel.ALL },
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob'],
        resources: [stack.formatArn({ service: 'sagemaker', resource: 'transform-job', resourceName: `${BATCH_JOB_PREFIX}*` })],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_RULE })],
      }),
    );
    // CreateTransformJob with a VolumeKmsKeyId checks that its caller may create a grant on the key for the instance volume.
    if (props.key) props.key.grant(this.stateMachine, 'kms:CreateGrant', 'kms:DescribeKey');
    acknowledgeFindings(this.stateMachine);
    this.rule = new events.Rule(this, 'Schedule', {
      schedule: events.Schedule.expression(props.schedule),
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });
  }
}

/** The role's cdk-nag findings that stay, each with why (ARNs as cdk-nag prints them: pseudo parameters as <AWS::...>). */
function acknowledgeFindings(machine: sfn.StateMachine): void {
  const stack = Stack.of(machine);
  const arn = `arn:<AWS::Partition>:sagemaker:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}`;
  Validations.of(machine.role).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${arn}:transform-job/${BATCH_JOB_PREFIX}*]`,
      reason: 'Each execution creates one transform job named after the execution, which exists only at run time; the wildcard is limited to the rookery-score- prefix.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${arn}:endpoint-config/*]`,
      reason: "The endpoint's configuration is read at run time: `rookery deploy sagemaker` and the pipeline create a new one with each deployment; DescribeEndpointConfig only.",
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: "X-Ray's trace and sampling actions and CloudWatch Logs' log delivery actions that CDK grants for tracing and the execution log support no resource-level permissions.",
    },
  );
}

/** The `createTransformJob.sync` state: CreateTransformJob's request, as `rookery score --target sagemaker` sends it. */
function transformState(props: BatchScoringProps, partition: string): Record<string, unknown> {
  const contentType = props.contentType ?? 'text/csv';
  const key = props.key ? { KmsKeyId: props.key.keyArn } : {};
  return {
    Type: 'Task',
    Resource: `arn:${partition}:states:::sagemaker:createTransformJob.sync`,
    Parameters: {
      'TransformJobName.$': `States.Format('${BATCH_JOB_PREFIX}{}', $$.Execution.Name)`,
      'ModelName.$': '$.model.ModelName',
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: 6,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: props.inputUri } }, ContentType: contentType, SplitType: 'Line', CompressionType: 'None' },
      TransformOutput: { 'S3OutputPath.$': `States.Format('${props.outputUri.replace(/\/?$/, '/')}{}/', $$.Execution.Name)`, Accept: contentType, AssembleWith: 'Line', ...key },
      TransformResources: { InstanceType: props.instanceType ?? 'ml.m5.large', InstanceCount: 1, ...(props.key ? { VolumeKmsKeyId: props.key.keyArn } : {}) },
      ...(props.captureUri ? { DataCaptureConfig: { DestinationS3Uri: props.captureUri, GenerateInferenceId: true, ...key } } : {}),
    },
    TimeoutSeconds: Duration.hours(12).toSeconds(),
    ResultPath: '$.transform',
  };
}
