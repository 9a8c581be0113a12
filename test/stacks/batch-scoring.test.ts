/**
 * The BatchScoring construct's template: the schedule, the state machine's
 * definition (valid ASL, the createTransformJob.sync state with capture, the
 * named Fail state every task catches into) and its role's statements, scoped.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readAppConfig } from '../../stacks/config.ts';
import { BatchScoring } from '../../stacks/constructs/batch-scoring.ts';
import { PipelineStack } from '../../stacks/pipeline-stack.ts';
import { addNagChecks } from '../../stacks/support/nag.ts';
import { ACCOUNT, REGION, STANDALONE_CONTEXT } from '../pipeline/definition.ts';

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

function synth(captureUri: string | null = 's3://data/capture') {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'DataKey');
  new BatchScoring(stack, 'BatchScoring', {
    schedule: 'rate(1 day)',
    inputUri: 's3://input-bucket/batch/',
    outputUri: 's3://runs/batch-scores',
    endpointName: 'rookery-penguins',
    ...(captureUri ? { captureUri } : {}),
    key,
    logRetention: logs.RetentionDays.ONE_YEAR,
  });
  return Template.fromStack(stack);
}

function definition(template: Template): Record<string, any> {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  // The partition becomes aws; other tokens (the key ARN) a placeholder: the shape is what is checked.
  const text = (p: any) => (typeof p === 'string' ? p : p?.Ref === 'AWS::Partition' ? 'aws' : 'TOKEN');
  return JSON.parse(parts.map(text).join(''));
}

describe('BatchScoring', () => {
  it('is started by the schedule', () => {
    synth().hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)', Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('BatchScoringStateMachine') } })] });
  });

  it('reads the endpoint model, runs the transform job .sync with capture, and fails into BatchScoringFailed', () => {
    const asl = definition(synth());
    const result = aslValidator(structuredClone(asl));
    expect(result.isValid, result.errorsText('\n')).toBe(true);
    expect(asl.StartAt).toBe('DescribeEndpoint');
    const score = asl.States.ScoreBatch;
    expect(score.Resource).toBe('arn:aws:states:::sagemaker:createTransformJob.sync');
    expect(score.Parameters).toMatchObject({
      'TransformJobName.$': "States.Format('rookery-score-{}', $$.Execution.Name)",
      'ModelName.$': '$.model.ModelName',
      BatchStrategy: 'MultiRecord',
      TransformInput: { SplitType: 'Line', ContentType: 'text/csv', DataSource: { S3DataSource: { S3Uri: 's3://input-bucket/batch/' } } },
      TransformOutput: { AssembleWith: 'Line', Accept: 'text/csv', KmsKeyId: 'TOKEN' },
      DataCaptureConfig: { DestinationS3Uri: 's3://data/capture', GenerateInferenceId: true, KmsKeyId: 'TOKEN' },
    });
    expect(asl.States.BatchScoringFailed).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    for (const name of ['DescribeEndpoint', 'DescribeEndpointConfig', 'ScoreBatch']) expect(asl.States[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'BatchScoringFailed' }]);
  });

  it('without a capture location sends no DataCaptureConfig', () => {
    expect(definition(synth(null)).States.ScoreBatch.Parameters.DataCaptureConfig).toBeUndefined();
  });

  it("grants the transform actions on rookery-score-* jobs, the .sync rule's events actions, and no PassRole or wildcard action", () => {
    const policies = Object.values(synth().findResources('AWS::IAM::Policy')) as any[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
    const json = JSON.stringify(statements);
    expect(json).not.toContain('iam:PassRole');
    expect(json).not.toMatch(/"Action":"[a-z0-9]+:\*"/);
    const transform = statements.find((s) => JSON.stringify(s.Action).includes('sagemaker:CreateTransformJob'));
    expect(transform.Action).toEqual(['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob']);
    expect(JSON.stringify(transform.Resource)).toContain(':transform-job/rookery-score-*');
    const rule = statements.find((s) => JSON.stringify(s.Action).includes('events:PutRule'));
    expect(JSON.stringify(rule.Resource)).toContain(':rule/StepFunctionsGetEventsForSageMakerTransformJobsRule');
  });
});

describe('PipelineStack with -c batchScoring and -c batchInput', () => {
  const pipeline = (context: Record<string, string>, withRole = false) => {
    const app = new App({ context: { ...STANDALONE_CONTEXT, ...context } });
    addNagChecks(app);
    const env = { account: ACCOUNT, region: REGION };
    // The endpoint model's role, in another stack as EndpointStack's is.
    const executionRole = withRole ? new iam.Role(new Stack(app, 'EndpointStack', { env }), 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }) : undefined;
    const endpoint = executionRole ? { endpoint: { endpointName: 'rookery-penguins', executionRole } } : {};
    const stack = new PipelineStack(app, 'PipelineStack', { config: readAppConfig(app.node).pipeline, env, ...endpoint });
    return { app, stack, template: Template.fromStack(stack) };
  };
  const statementsOf = (template: Template) =>
    (Object.values(template.findResources('AWS::IAM::Policy')) as any[]).flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);

  it('has no batch scoring without the context', () => {
    const { template } = pipeline({});
    expect(JSON.stringify(template.toJSON())).not.toContain('createTransformJob');
  });

  it('adds the schedule and state machine, scoring into the runs bucket, and synthesizes with cdk-nag', () => {
    const { app, template } = pipeline({ batchScoring: 'rate(1 day)', batchInput: 's3://rookery-batch-123/batch/', captureUri: 's3://rookery-capture-123/capture' });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain('createTransformJob.sync');
    expect(json).toContain('s3://rookery-batch-123/batch/');
    expect(json).toContain('/batch-scores/');
    expect(json).toContain('"DestinationS3Uri\\":\\"s3://rookery-capture-123/capture\\"');
    expect(() => app.synth()).not.toThrow();
  });

  it("grants the endpoint model's role exactly the batch input's listing and objects and batch-scores/ of the runs bucket, and passes cdk-nag", () => {
    const { app, stack, template } = pipeline({ batchScoring: 'rate(1 day)', batchInput: 's3://rookery-batch-123/in/daily/' }, true);
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^BatchScoringModelAccess') } });
    expect(Object.keys(policies)).toHaveLength(1);
    const policy = Object.values(policies)[0] as any;
    expect(policy.Properties.Roles).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/^EndpointStack:ExportsOutputRefExecutionRole/) }]);
    const runsBucketArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.bucket.node.defaultChild as any), 'Arn'] };
    const partition = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: partition(':s3:::rookery-batch-123/in/daily/*') },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: partition(':s3:::rookery-batch-123'), Condition: { StringLike: { 's3:prefix': 'in/daily/*' } } },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Join': ['', [runsBucketArn, '/batch-scores/*']] } },
    ]);
    // The scores go where the role may write them.
    expect(JSON.stringify(template.toJSON())).toContain('/batch-scores/{}/');
    expect(() => app.synth()).not.toThrow();
  });

  it("grants nothing to a role it does not know (an endpoint outside the app), and no S3 wildcard anywhere", () => {
    const { template } = pipeline({ batchScoring: 'rate(1 day)', batchInput: 's3://rookery-batch-123/batch/' });
    expect(Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^BatchScoringModelAccess') } }))).toHaveLength(0);
    const statements = statementsOf(template);
    expect(JSON.stringify(statements)).not.toContain('s3:AbortMultipartUpload');
    expect(JSON.stringify(statements)).not.toContain('rookery-batch-123');
    for (const st of statements) for (const action of [st.Action].flat()) expect(action).not.toMatch(/^s3:\*$/);
  });

  it('refuses one without the other, naming both', () => {
    expect(() => pipeline({ batchScoring: 'rate(1 day)' })).toThrow(/batchScoring needs batchInput: pass both/);
    expect(() => pipeline({ batchInput: 'bucket/batch' })).toThrow(/batchInput.*must be an S3 URI/);
  });
});
