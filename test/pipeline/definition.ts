/**
 * The synthesized state machine definition, as Step Functions would receive
 * it: the template's DefinitionString with its CloudFormation references
 * replaced by fake but well-formed values.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { readAppConfig } from '../../stacks/config.ts';
import { PipelineStack, type PipelineStackProps } from '../../stacks/pipeline-stack.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const RUNS_BUCKET = 'rookery-runs-test';
export const ENDPOINT = 'rookery-penguins';
export const MLFLOW_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rookery-mlflow-admin-AbCdEf`;

/** Context that lets PipelineStack synthesize on its own, as with `-c` flags. */
export const STANDALONE_CONTEXT: Record<string, string> = {
  mlflowTrackingUri: 'https://mlflow.example.com',
  mlflowSecretArn: MLFLOW_SECRET_ARN,
  endpointName: ENDPOINT,
};

export function synthPipeline(context: Record<string, string> = {}, props: Partial<PipelineStackProps> = {}): { stack: PipelineStack; template: Template } {
  const app = new App({ context: { ...STANDALONE_CONTEXT, ...context } });
  const stack = new PipelineStack(app, 'PipelineStack', {
    config: readAppConfig(app.node).pipeline,
    env: { account: ACCOUNT, region: REGION },
    // The definition does not depend on the image; skip staging the repository as a Docker asset.
    image: ecs.ContainerImage.fromRegistry('rookery:test'),
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

/** Replaces Ref / Fn::GetAtt inside a Fn::Join with stand-ins named after the logical ids. */
export function resolveDefinition(template: Template): any {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine') as any[];
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const definition = machines[0].Properties.DefinitionString;
  const fake = (ref: string, attr?: string): string => {
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return REGION;
    if (ref === 'AWS::AccountId') return ACCOUNT;
    const type = resources[ref]?.Type;
    if (type === 'AWS::S3::Bucket' && !attr) return RUNS_BUCKET;
    if (type === 'AWS::Batch::JobQueue') return `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${ref}`;
    if (type === 'AWS::Batch::JobDefinition') return `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/${ref}:1`;
    throw new Error(`no stand-in for ${ref}${attr ? `.${attr}` : ''} (${type})`);
  };
  const part = (p: any): string => {
    if (typeof p === 'string') return p;
    if (p.Ref) return fake(p.Ref);
    if (p['Fn::GetAtt']) return fake(p['Fn::GetAtt'][0], p['Fn::GetAtt'][1]);
    throw new Error(`unexpected token in the definition: ${JSON.stringify(p)}`);
  };
  const text = typeof definition === 'string' ? definition : (definition['Fn::Join'][1] as any[]).map(part).join(definition['Fn::Join'][0]);
  return JSON.parse(text);
}
