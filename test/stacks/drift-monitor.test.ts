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

  it('starts the given state machine on drift, and nothing without one', () => {
    const rules = (t: Template) => Object.values(t.findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventPattern);
    expect(rules(build().template)).toHaveLength(0);
    const withRetrain = build({}, true);
    expect(rules(withRetrain.template)).toHaveLength(1);
  });
});
