import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { JobResources } from '../config.ts';
import { GroupingConstruct } from '../support/logical-ids.ts';
import { acknowledgeResource } from '../support/nag.ts';
import { prefixObjects, prefixReads, uriPrefix, type BucketPrefix } from '../support/prefix-reads.ts';
import { RookeryBatchJob, type BatchJobProps } from './batch-job.ts';

/** Where the monitoring job publishes; `rookery pipeline monitor` uses the same names. */
export const METRICS_NAMESPACE = 'Rookery/Monitoring';
export const DRIFTED_COLUMNS_METRIC = 'DriftedColumns';

export interface DriftMonitorProps {
  /** The endpoint whose captures are compared with its ground truth. */
  readonly endpointName: string;
  /** `s3://bucket/prefix` of the endpoint's Data Capture files. */
  readonly captureUri: string;
  /** `s3://bucket/prefix` of the labels `rookery label` writes. */
  readonly groundTruthUri: string;
  /**
   * The bucket holding both, when it is the endpoint's own (another stack's): read access goes to its
   * prefixes and decrypt to its key.
   * @default the buckets named in the URIs, read by ARN
   */
  readonly captureBucket?: s3.IBucket;
  /** The pipeline's bucket: reports are written under `monitoring/`. */
  readonly reportBucket: s3.IBucket;
  /**
   * The scheduled Batch Transform's input (a literal `s3://bucket/prefix`) and the prefix of `reportBucket` its scores
   * go under: its captures are manifests that name those objects, so the monitoring job reads them too (the scores
   * are encrypted with the capture bucket's key, which it already decrypts with).
   * @default no batch scoring: nothing beyond the capture and ground-truth prefixes is read
   */
  readonly batchScoring?: { readonly inputUri: string; readonly outputPrefix: string };
  /**
   * Prefixes of `captureBucket` (`batch/`, `batch-scores/`) that transform jobs run from the CLI read and write: their
   * captures land beside the endpoint's and name those objects.
   * @default none
   */
  readonly batchPrefixes?: readonly string[];
  /** The image, execution role, log retention and public-IP setting every pipeline job shares. */
  readonly job: Pick<BatchJobProps, 'image' | 'executionRole' | 'logRetentionDays' | 'logKey' | 'assignPublicIp' | 'environment' | 'secrets'>;
  readonly resources: JobResources;
  readonly jobQueue: batch.IJobQueue;
  /** EventBridge schedule expression of the monitoring runs. */
  readonly schedule: string;
  /**
   * Started when the drift alarm goes into ALARM.
   * @default nothing is started: the alarm only alarms
   */
  readonly retrain?: sfn.IStateMachine;
}

const PER_HOUR_PREFIX = 'SageMaker Data Capture and rookery label write one object per hour under this prefix';

/**
 * Scheduled drift monitoring of an endpoint: the `pipeline monitor` Batch job
 * with read access to the capture and ground-truth prefixes only, its
 * schedule, the drift alarm on the metric it publishes, and optionally the
 * rule that retrains on that alarm.
 */
export class DriftMonitor extends GroupingConstruct {
  readonly job: RookeryBatchJob;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    this.job = new RookeryBatchJob(this, 'MonitorJob', {
      ...props.job,
      command: [
        'pipeline', 'monitor',
        '--endpoint', props.endpointName,
        '--datastore', props.captureUri,
        '--ground-truth', props.groundTruthUri,
        '--report', `s3://${props.reportBucket.bucketName}/monitoring`,
        '--namespace', METRICS_NAMESPACE,
      ],
      resources: props.resources,
    });
    const role = this.job.role;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.reportBucket.arnForObjects('monitoring/*')] }));
    const captureReads = this.grantCaptureReads(props);
    const batchReads = this.grantBatchReads(props);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        // PutMetricData has no resource-level permissions; the namespace condition narrows it.
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );

    new events.Rule(this, 'MonitoringSchedule', {
      description: `Runs rookery monitoring on ${props.endpointName} ${props.schedule}`,
      schedule: events.Schedule.expression(props.schedule),
      targets: [new targets.BatchJob(props.jobQueue.jobQueueArn, props.jobQueue, this.job.definition.jobDefinitionArn, this.job.definition, { jobName: 'rookery-monitor', attempts: 1 })],
    });
    this.alarm = this.driftAlarm(props);
    new CfnOutput(this, 'DriftAlarmName', { value: this.alarm.alarmName });
    this.acknowledgeFindings(props, captureReads, batchReads);
  }

  /** The batch input and scores that Batch Transform captures name; returns the object ARNs read. */
  private grantBatchReads(props: DriftMonitorProps): string[] {
    const locations: BucketPrefix[] = [];
    if (props.batchScoring) {
      locations.push(uriPrefix(Stack.of(this).partition, props.batchScoring.inputUri), { bucketArn: props.reportBucket.bucketArn, prefix: `${props.batchScoring.outputPrefix}/` });
    }
    const { captureBucket } = props;
    if (captureBucket) for (const prefix of props.batchPrefixes ?? []) locations.push({ bucketArn: captureBucket.bucketArn, prefix });
    for (const statement of locations.flatMap(prefixReads)) this.job.role.addToPrincipalPolicy(statement);
    return locations.map(prefixObjects);
  }

  /** Only the capture and ground-truth prefixes (and the key that encrypts them); returns the object ARNs of the endpoint's own bucket. */
  private grantCaptureReads(props: DriftMonitorProps): string[] {
    const role = this.job.role;
    const bucket = props.captureBucket;
    if (!bucket) {
      for (const uri of [props.captureUri, props.groundTruthUri]) {
        const location = uriPrefix(Stack.of(this).partition, uri);
        role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [prefixObjects(location)] }));
        role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [location.bucketArn] }));
      }
      return [];
    }
    const base = `s3://${bucket.bucketName}/`;
    const prefixes = [props.captureUri, props.groundTruthUri].map((uri) => (uri.startsWith(base) ? uri.slice(base.length) : ''));
    const objects = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    if (bucket.encryptionKey) role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [bucket.encryptionKey.keyArn] }));
    return objects;
  }

  // One datapoint per monitoring run; missing hours are not drift, so the
  // alarm returns to OK and the next drifted run raises it (and retrains) again.
  private driftAlarm(props: DriftMonitorProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'DriftAlarm', {
      alarmDescription: `Drift in the data captured by ${props.endpointName} (rookery monitor found drifted columns)`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: DRIFTED_COLUMNS_METRIC,
        dimensionsMap: { EndpointName: props.endpointName },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.applyRemovalPolicy(RemovalPolicy.DESTROY);
    if (props.retrain) {
      new events.Rule(this, 'RetrainOnDrift', {
        description: `Starts the training pipeline when ${alarm.node.id} goes into ALARM`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [alarm.alarmArn],
          detail: { state: { value: ['ALARM'] } },
        },
        targets: [new targets.SfnStateMachine(props.retrain, { input: events.RuleTargetInput.fromObject({ trigger: 'drift' }) })],
      });
    }
    return alarm;
  }

  /** The monitoring job's cdk-nag findings, each with why it stays. */
  private acknowledgeFindings(props: DriftMonitorProps, captureReads: string[], batchReads: string[]): void {
    const stack = Stack.of(this);
    const reportBucketArn = `<${stack.getLogicalId(props.reportBucket.node.defaultChild as CfnElement)}.Arn>`;
    const byArn = (props.captureBucket ? [] : [props.captureUri, props.groundTruthUri]).map((uri) => ({
      id: `AwsSolutions-IAM5[Resource::${prefixObjects(uriPrefix('<AWS::Partition>', uri))}]`,
      reason: `${PER_HOUR_PREFIX}; the monitoring job reads all of them, and nothing outside the prefix.`,
    }));
    Validations.of(this.job.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `cloudwatch:PutMetricData supports no resource-level permissions; the statement is restricted to the ${METRICS_NAMESPACE} namespace with the cloudwatch:namespace condition key.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${reportBucketArn}/monitoring/*]`,
        reason: 'The monitoring job writes a dated report folder under monitoring/ on each run; the wildcard is limited to that prefix.',
      },
      ...byArn,
    );
    for (const resource of captureReads) {
      acknowledgeResource(this.job.role, 'AwsSolutions-IAM5', resource, `${PER_HOUR_PREFIX} of the endpoint's bucket; the monitoring job reads all of them, and nothing outside the prefix.`);
    }
    for (const resource of batchReads) {
      acknowledgeResource(this.job.role, 'AwsSolutions-IAM5', resource,
        'Batch Transform captures are manifests naming the transform jobs\' input and score objects, known only at run time; the monitoring job reads under the batch input and batch-scores prefixes, and nothing else of those buckets.');
    }
  }
}
