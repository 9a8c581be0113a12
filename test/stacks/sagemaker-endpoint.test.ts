// SageMakerEndpoint from its props alone: no model files, no Docker build, no context.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { MODEL_HASH_TAG } from '../../model/content-hash.ts';
import { ENDPOINT_DEFAULTS } from '../../stacks/config.ts';
import { SageMakerEndpoint, type SageMakerEndpointProps } from '../../stacks/constructs/sagemaker-endpoint.ts';
import { RookeryStack } from '../../stacks/support/logical-ids.ts';

const SHA = 'a'.repeat(64);

function build(config: Partial<SageMakerEndpointProps['config']> = {}, StackClass: typeof Stack = Stack) {
  const stack = new StackClass(new App(), 'Test');
  const key = new kms.Key(stack, 'Key');
  const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
  const endpoint = new SageMakerEndpoint(stack, 'Serving', {
    config: { ...ENDPOINT_DEFAULTS, minInstances: 1, ...config },
    image: { imageUri: 'example.com/rookery:1', repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'rookery'), assetHash: 'image-hash' },
    modelData: { bucket, s3ObjectKey: 'models/model.tar.gz', s3ObjectUrl: 's3://bucket/models/model.tar.gz' },
    model: { name: 'penguins', version: 3, sha256: SHA },
    bucket,
    key,
    logGroup: new logs.LogGroup(stack, 'Logs'),
  });
  return { stack, endpoint, template: Template.fromStack(stack) };
}

describe('SageMakerEndpoint', () => {
  it('tags the model with its name, version and content hash, and names the endpoint from the config', () => {
    const { template } = build();
    const model = Object.values(template.findResources('AWS::SageMaker::Model'))[0] as any;
    expect(model.Properties.Tags).toEqual([
      { Key: 'rookery:model', Value: 'penguins/3' },
      { Key: MODEL_HASH_TAG, Value: SHA },
    ]);
    expect(model.Properties.PrimaryContainer).toMatchObject({ Image: 'example.com/rookery:1', ModelDataUrl: 's3://bucket/models/model.tar.gz' });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: ENDPOINT_DEFAULTS.endpointName });
  });

  it('scales only when the ceiling is above the floor, and leaves the volume key out for NVMe instance types', () => {
    build().template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    build({ maxInstances: 1 }).template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    const config = (t: Template) => (Object.values(t.findResources('AWS::SageMaker::EndpointConfig'))[0] as any).Properties;
    expect(config(build().template).KmsKeyId).toBeDefined();
    expect(config(build({ instanceType: 'ml.g5.xlarge' }).template).KmsKeyId).toBeUndefined();
  });

  it('names the endpoint configuration the same however many tokens the app made before it', () => {
    const name = () => (Object.values(build().template.findResources('AWS::SageMaker::EndpointConfig'))[0] as any).Properties.EndpointConfigName;
    const first = name();
    for (let i = 0; i < 50; i++) new s3.Bucket(new Stack(new App(), `Other${i}`), 'B').bucketName;
    expect(name()).toBe(first);
  });

  it('lets Batch Transform with the model list and read batch/ and write batch-scores/ of its bucket, and nothing wider', () => {
    const { stack, endpoint, template } = build();
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => JSON.stringify(p.Properties.Roles).includes(stack.getLogicalId(endpoint.executionRole.node.defaultChild as any))) as any;
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const bucketArn = { 'Fn::GetAtt': [expect.stringMatching(/^Bucket/), 'Arn'] };
    expect(bySid.ListBatchInput).toEqual({ Sid: 'ListBatchInput', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': 'batch/*' } } });
    expect(bySid.ReadBatchInput).toEqual({ Sid: 'ReadBatchInput', Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [bucketArn, '/batch/*']] } });
    expect(bySid.WriteBatchScores).toEqual({ Sid: 'WriteBatchScores', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Join': ['', [bucketArn, '/batch-scores/*']] } });
    // The only listing is that prefix's; no S3 wildcard action, and every object resource under a named prefix.
    const s3Statements = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    for (const s of s3Statements) {
      for (const action of [s.Action].flat()) expect(action).not.toContain('*');
      for (const resource of [s.Resource].flat()) expect(JSON.stringify(resource)).not.toMatch(/"\/\*"|^"\*"$/);
    }
    expect(s3Statements.filter((s) => [s.Action].flat().includes('s3:ListBucket'))).toEqual([bySid.ListBatchInput]);
  });

  it('keeps its resources at the stack level of logical ids in a RookeryStack', () => {
    const { stack, endpoint } = build({}, RookeryStack);
    expect(stack.getLogicalId(endpoint.endpoint)).toBe('Endpoint');
    expect(stack.getLogicalId(endpoint.cfnModel)).toBe('Model');
    expect(stack.getLogicalId(endpoint.executionRole.node.defaultChild as any)).toMatch(/^ExecutionRole[0-9A-F]{8}$/);
  });
});
