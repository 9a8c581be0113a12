// TrainingStateMachine from its props alone.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { RookeryBatchJob } from '../../stacks/constructs/batch-job.ts';
import { STATES, TrainingStateMachine } from '../../stacks/constructs/training-state-machine.ts';

describe('TrainingStateMachine', () => {
  it('starts with the defaults, carries the threshold and the time limit, and names every state', () => {
    const stack = new Stack(new App(), 'Test');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }] });
    const computeEnvironment = new batch.FargateComputeEnvironment(stack, 'Compute', { vpc });
    const common = {
      image: ecs.ContainerImage.fromRegistry('rookery:test'),
      executionRole: new iam.Role(stack, 'Exec', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }),
      logRetentionDays: 7,
      assignPublicIp: true,
      resources: { vcpus: 0.25, memoryMiB: 512, timeoutMinutes: 10 },
    };
    const job = (id: string) => new RookeryBatchJob(stack, id, { ...common, command: [id.toLowerCase()] });
    new TrainingStateMachine(stack, 'Training', {
      jobs: { train: job('Train'), register: job('Register'), deploy: job('Deploy') },
      jobQueue: new batch.JobQueue(stack, 'Queue', { computeEnvironments: [{ computeEnvironment, order: 1 }] }),
      bucket: new s3.Bucket(stack, 'Runs'),
      accuracyThreshold: 0.85,
      endpointName: 'penguins-test',
      timeoutMinutes: 45,
      logRetentionDays: 7,
    });
    const machine = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0] as any;
    const text = JSON.stringify(machine.Properties.DefinitionString);
    expect(text).toContain('\\"StartAt\\":\\"Defaults\\"');
    expect(text).toContain('\\"TimeoutSeconds\\":2700');
    expect(text).toContain('\\"accuracyThreshold\\":0.85');
    expect(text).toContain('penguins-test');
    for (const state of Object.values(STATES)) expect(text, state).toContain(`\\"${state}\\":{`);
  });
});
