import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { acknowledge, acknowledgeResource, addNagChecks } from '../../stacks/support/nag.ts';

/** A role in one stack reading two prefixes of a bucket in another, as PipelineStack reads EndpointStack's. */
function crossStack(acknowledged: string[]) {
  const app = new App();
  addNagChecks(app);
  const producer = new Stack(app, 'Producer');
  const bucket = new s3.Bucket(producer, 'Data', { enforceSSL: true });
  acknowledge(bucket, 'AwsSolutions-S1', 'A bucket for this test only; its access logs are not what the test is about.');
  const consumer = new Stack(app, 'Consumer');
  const role = new iam.Role(consumer, 'Reader', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const resources = { capture: bucket.arnForObjects('capture*'), labels: bucket.arnForObjects('labels*') };
  role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: Object.values(resources) }));
  for (const name of acknowledged) acknowledgeResource(role, 'AwsSolutions-IAM5', resources[name as keyof typeof resources], 'Reads every object under this one prefix of the other stack\'s bucket, nothing else.');
  return app;
}

describe('acknowledgeResource', () => {
  it('acknowledges a wildcard on another stack’s bucket by the ARN the statement names, whatever export CDK generates for it', () => {
    expect(() => crossStack(['capture', 'labels']).synth()).not.toThrow();
  });

  it('acknowledges only that resource: another wildcard of the same statement is still reported', () => {
    expect(() => crossStack(['capture']).synth()).toThrow(/AwsSolutions-IAM5\[Resource::Producer:ExportsOutput[^\]]*\/labels\*\]/);
    expect(() => crossStack(['capture']).synth()).not.toThrow(/\/capture\*\]/);
  });
});
