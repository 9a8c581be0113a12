// DriftMonitor from its props alone.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { DriftMonitor, METRICS_NAMESPACE, type DriftMonitorProps } from '../../stacks/constructs/drift-monitor.ts';

function build(props: Partial<DriftMonitorProps> = {}, retrain = false) {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }] });
  const computeEnvironment = new batch.FargateComputeEnvironment(stack, 'Compute', { vpc });
  const monitor = new DriftMonitor(stack, 'Monitor', {
    endpointName: 'rookery-penguins',
    captureUri: 's3://capture-bucket/capture',
    groundTruthUri: 's3://capture-bucket/ground-truth',
    reportBucket: new s3.Bucket(stack, 'Runs'),
    job: {
      image: ecs.ContainerImage.fromRegistry('rookery:test'),
      executionRole: new iam.Role(stack, 'Exec', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }),
      logRetentionDays: 30,
      assignPublicIp: true,
    },
    resources: { vcpus: 0.5, memoryMiB: 1024, timeoutMinutes: 30 },
    jobQueue: new batch.JobQueue(stack, 'Queue', { computeEnvironments: [{ computeEnvironment, order: 1 }] }),
    schedule: 'rate(1 day)',
    ...(retrain ? { retrain: sfn.StateMachine.fromStateMachineArn(stack, 'Training', 'arn:aws:states:eu-west-1:123456789012:stateMachine:train') } : {}),
    ...props,
  });
  return { stack, monitor, template: Template.fromStack(stack) };
}

describe('DriftMonitor', () => {
  it('runs `pipeline monitor` on the schedule and reads only the two prefixes of a bucket named by URI', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ Command: Match.arrayWith(['pipeline', 'monitor', '--datastore', 's3://capture-bucket/capture', '--namespace', METRICS_NAMESPACE]) }),
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(statements).toContain(':s3:::capture-bucket/capture*');
    expect(statements).toContain(':s3:::capture-bucket/ground-truth*');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DriftedColumns', Namespace: METRICS_NAMESPACE, Threshold: 0 });
  });

  it('with batch scoring, also reads the batch input and batch-scores/ that Batch Transform captures name, each listing limited to its prefix', () => {
    const policyOf = (t: Template) => (Object.values(t.findResources('AWS::IAM::Policy')) as any[]).find((p) => JSON.stringify(p.Properties.Roles).includes('MonitorJob'));
    const { stack, template } = build({ batchScoring: { inputUri: 's3://input-bucket/batch/', outputPrefix: 'batch-scores' } });
    const statements: any[] = policyOf(template).Properties.PolicyDocument.Statement;
    const runs = stack.node.findChild('Runs') as s3.Bucket;
    const runsArn = { 'Fn::GetAtt': [stack.getLogicalId(runs.node.defaultChild as any), 'Arn'] };
    const partition = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 's3:GetObject', Resource: partition(':s3:::input-bucket/batch/*') },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: partition(':s3:::input-bucket'), Condition: { StringLike: { 's3:prefix': 'batch/*' } } },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [runsArn, '/batch-scores/*']] } },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: runsArn, Condition: { StringLike: { 's3:prefix': 'batch-scores/*' } } },
      ]),
    );
    // Read only: nothing written but the reports, no S3 wildcard action, no whole-bucket object resource.
    const writes = statements.filter((st) => [st.Action].flat().some((a: string) => /^s3:(Put|Delete)/.test(a)));
    expect(writes).toEqual([{ Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [runsArn, '/monitoring/*']] } }]);
    for (const st of statements) {
      for (const action of [st.Action].flat()) expect(action).not.toMatch(/^s3:\*|\*$/);
      expect(JSON.stringify(st.Resource)).not.toMatch(/:::[a-z0-9-]+\/\*"|"\/\*"/);
    }
    // Without batch scoring, none of it.
    expect(JSON.stringify(policyOf(build().template))).not.toMatch(/batch/);
  });

  it("with the endpoint's bucket, reads its batch prefixes that CLI transform jobs' captures name, each listing limited to its prefix", () => {
    // An imported bucket has a literal ARN, so it can be handed to build()'s own stack.
    const captureBucket = s3.Bucket.fromBucketArn(new Stack(new App(), 'Endpoint'), 'Data', 'arn:aws:s3:::endpoint-bucket');
    const policyOf = (t: Template) => (Object.values(t.findResources('AWS::IAM::Policy')) as any[]).find((p) => JSON.stringify(p.Properties.Roles).includes('MonitorJob'));
    const statements: any[] = policyOf(build({ captureBucket, batchPrefixes: ['batch/', 'batch-scores/'] }).template).Properties.PolicyDocument.Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::endpoint-bucket/batch/*' },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::endpoint-bucket', Condition: { StringLike: { 's3:prefix': 'batch/*' } } },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::endpoint-bucket/batch-scores/*' },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::endpoint-bucket', Condition: { StringLike: { 's3:prefix': 'batch-scores/*' } } },
      ]),
    );
    expect(JSON.stringify(policyOf(build({ captureBucket }).template))).not.toMatch(/batch/);
  });

  it('starts the given state machine on drift, and nothing without one', () => {
    const rules = (t: Template) => Object.values(t.findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventPattern);
    expect(rules(build().template)).toHaveLength(0);
    const withRetrain = build({}, true);
    expect(rules(withRetrain.template)).toHaveLength(1);
  });
});
