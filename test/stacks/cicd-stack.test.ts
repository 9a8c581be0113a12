// CicdStack: GitHub's OIDC provider and the two roles the workflows assume, checked on the synthesized
// template (who may assume each role, and what it may then do), and through stacks/app.ts as `cdk synth`
// runs it with and without `-c githubRepository`.
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CicdStack } from '../../stacks/cicd-stack.ts';
import { readAppConfig } from '../../stacks/config.ts';
import { GithubOidcRoles } from '../../stacks/constructs/github-oidc-roles.ts';
import { addNagChecks, RookeryNagChecks } from '../../stacks/support/nag.ts';
import { nagFindings, runCdkApp, templates } from '../helpers/cdk-app.ts';
import { registryWithChampion } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-cicd-');
const ISSUER = 'token.actions.githubusercontent.com';
const REPO = 'octo-org/rookery';

/** The stacks CicdStack reads from, reduced to what it takes: a state machine, a bucket and its key. */
function synth(context: Record<string, string> = {}, options: { monitored?: boolean; checks?: 'rookery' | 'plain' } = {}) {
  const app = new App({ context: { githubRepository: REPO, ...context } });
  // 'plain': no plugin at synth, so a test can run cdk-nag's own checks afterwards, without rookery's acknowledgeResource.
  if ((options.checks ?? 'rookery') === 'rookery') addNagChecks(app);
  const producer = new Stack(app, 'Producer');
  const stateMachine = new sfn.StateMachine(producer, 'Pipeline', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(producer, 'Step')) });
  const key = new kms.Key(producer, 'DataKey', { enableKeyRotation: true });
  const bucket = new s3.Bucket(producer, 'DataBucket', { encryptionKey: key, enforceSSL: true });
  // Findings of this stand-in producer, not of CicdStack (the real stacks have their own tests).
  for (const id of ['AwsSolutions-SF1', 'AwsSolutions-SF2', 'AwsSolutions-S1']) Validations.of(producer).acknowledge({ id, reason: 'test fixture standing in for PipelineStack and EndpointStack' });
  const github = readAppConfig(app.node).github!;
  const stack = new CicdStack(app, 'CicdStack', {
    github,
    stateMachine,
    ...(options.monitored === false ? {} : { monitoredData: { bucket, key, prefixes: ['capture', 'ground-truth'] } }),
  });
  return { app, stack, producer, template: Template.fromStack(stack) };
}

function resourcesOf(template: Template, type: string): [string, any][] {
  return Object.entries(template.findResources(type));
}

/** The role whose logical id starts with `prefix`, and the statements of the policies attached to it. */
function role(template: Template, prefix: string): { trust: any[]; statements: any[] } {
  const [[id, resource]] = resourcesOf(template, 'AWS::IAM::Role').filter(([logicalId]) => logicalId.startsWith(prefix));
  expect(resource.Properties.ManagedPolicyArns).toBeUndefined();
  expect(resource.Properties.Policies).toBeUndefined();
  expect(resource.Properties.MaxSessionDuration).toBe(3600);
  const statements = resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: id }]))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  return { trust: resource.Properties.AssumeRolePolicyDocument.Statement, statements };
}

function trustedFor(subject: string): any[] {
  return [
    {
      Action: 'sts:AssumeRoleWithWebIdentity',
      Effect: 'Allow',
      Principal: { Federated: { Ref: expect.stringMatching(/^GithubOidcRolesProvider/) } },
      Condition: { StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com', [`${ISSUER}:sub`]: subject } },
    },
  ];
}

/** A statement's actions and resources as short strings: imports by the producer's logical id, pseudo parameters as <Name>. */
function render(value: any): string {
  if (typeof value === 'string') return value;
  if (value.Ref) return `<${value.Ref.replace(/^AWS::/, '')}>`;
  if (value['Fn::ImportValue']) return `<import:${/ExportsOutput(?:Ref|FnGetAtt)([A-Za-z]+?)[0-9A-F]{8}/.exec(value['Fn::ImportValue'])![1]}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(render).join(value['Fn::Join'][0]);
  if (value['Fn::Select']) return `<name of ${render(value['Fn::Select'][1]['Fn::Split'][1])}>`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

function permissions(statements: any[]): string[] {
  return statements.flatMap((s) => {
    expect(s.Effect).toBe('Allow');
    const actions = [s.Action].flat();
    const resources = [s.Resource].flat().map(render);
    const condition = s.Condition ? ` if ${JSON.stringify(s.Condition).replace(/\{"Fn::Join":\["",\["s3\.",\{"Ref":"AWS::Region"\},"\.amazonaws\.com"\]\]\}/, '"s3.<Region>.amazonaws.com"')}` : '';
    return actions.flatMap((a) => resources.map((r) => `${a} ${r}${condition}`));
  });
}

describe('CicdStack (-c githubRepository=octo-org/rookery)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth().template;
  });

  it("creates GitHub's OIDC provider natively (no custom-resource Lambda) for the sts.amazonaws.com audience", () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: `https://${ISSUER}`, ClientIdList: ['sts.amazonaws.com'] });
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('Custom::AWSCDKOpenIdConnectProvider', 0);
    expect(resourcesOf(template, 'AWS::IAM::Role').map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['GithubOidcRolesDeployRole', 'GithubOidcRolesOpsRole']);
  });

  it('trusts the deploy role only for jobs of the repository in the production environment, and the ops role only for main', () => {
    expect(role(template, 'GithubOidcRolesDeployRole').trust).toEqual(trustedFor(`repo:${REPO}:environment:production`));
    expect(role(template, 'GithubOidcRolesOpsRole').trust).toEqual(trustedFor(`repo:${REPO}:ref:refs/heads/main`));
  });

  it('matches one exact subject: no StringLike, no wildcard, so another repository, a fork, a branch or a pull request does not match', () => {
    for (const prefix of ['GithubOidcRolesDeployRole', 'GithubOidcRolesOpsRole']) {
      const trust = role(template, prefix).trust;
      const text = JSON.stringify(trust);
      expect(text).not.toContain('StringLike');
      expect(text).not.toContain('*');
      expect(text).not.toContain('?');
      expect(Object.keys(trust[0].Condition)).toEqual(['StringEquals']);
      // StringEquals on the token's sub: what GitHub would send for other runs is a different string.
      const sub = trust[0].Condition.StringEquals[`${ISSUER}:sub`];
      for (const other of [
        'repo:octo-org/rookery-fork:environment:production',
        'repo:someone/rookery:environment:production',
        'repo:octo-org/rookery:environment:staging',
        'repo:octo-org/rookery:ref:refs/heads/feature',
        'repo:octo-org/rookery:pull_request',
        'repo:Octo-Org/rookery:ref:refs/heads/main',
      ]) {
        expect(sub).not.toBe(other);
      }
    }
  });

  it('follows -c githubEnvironment and -c githubBranch', () => {
    const other = synth({ githubEnvironment: 'prod-eu', githubBranch: 'release/2' }).template;
    expect(role(other, 'GithubOidcRolesDeployRole').trust).toEqual(trustedFor(`repo:${REPO}:environment:prod-eu`));
    expect(role(other, 'GithubOidcRolesOpsRole').trust).toEqual(trustedFor(`repo:${REPO}:ref:refs/heads/release/2`));
  });

  it('lets the deploy role do one thing: assume the CDK bootstrap roles of this account and region', () => {
    expect(permissions(role(template, 'GithubOidcRolesDeployRole').statements)).toEqual([
      'sts:AssumeRole arn:<Partition>:iam::<AccountId>:role/cdk-hnb659fds-*-<AccountId>-<Region>',
    ]);
    // Another `cdk bootstrap --qualifier` is a prop of the construct.
    const stack = new Stack(new App(), 'Qualified');
    const imported = sfn.StateMachine.fromStateMachineArn(stack, 'Pipeline', 'arn:aws:states:us-east-1:123456789012:stateMachine:p');
    new GithubOidcRoles(stack, 'GithubOidcRoles', { repository: REPO, environment: 'production', branch: 'main', stateMachine: imported, bootstrapQualifier: 'custom123' });
    expect(permissions(role(Template.fromStack(stack), 'GithubOidcRolesDeployRole').statements)).toEqual([
      'sts:AssumeRole arn:<Partition>:iam::<AccountId>:role/cdk-custom123-*-<AccountId>-<Region>',
    ]);
  });

  it('lets the ops role start the pipeline, read its executions’ history and read the capture and ground-truth prefixes, nothing more', () => {
    expect(permissions(role(template, 'GithubOidcRolesOpsRole').statements)).toEqual([
      'states:StartExecution <import:Pipeline>',
      'states:GetExecutionHistory arn:<Partition>:states:<Region>:<AccountId>:execution:<name of <import:Pipeline>>:*',
      's3:ListBucket <import:DataBucket> if {"StringLike":{"s3:prefix":["capture/*","ground-truth/*"]}}',
      's3:GetObject <import:DataBucket>/capture/*',
      's3:GetObject <import:DataBucket>/ground-truth/*',
      'kms:Decrypt <import:DataKey> if {"StringEquals":{"kms:ViaService":"s3.<Region>.amazonaws.com"}}',
    ]);
  });

  it('gives the ops role no S3 or KMS permission when there is no endpoint bucket yet', () => {
    const { template: bare } = synth({}, { monitored: false });
    expect(permissions(role(bare, 'GithubOidcRolesOpsRole').statements).map((p) => p.split(' ')[0])).toEqual(['states:StartExecution', 'states:GetExecutionHistory']);
  });

  it('outputs both role ARNs for the repository variables', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.DeployRoleArn.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^GithubOidcRolesDeployRole/), 'Arn'] });
    expect(outputs.OpsRoleArn.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^GithubOidcRolesOpsRole/), 'Arn'] });
    expect(outputs.DeployRoleArn.Description).toContain('AWS_DEPLOY_ROLE_ARN');
    expect(outputs.OpsRoleArn.Description).toContain('AWS_OPS_ROLE_ARN');
  });

  it('passes cdk-nag AwsSolutions; its only findings are the four acknowledged wildcards, each with a reason', () => {
    const { app } = synth();
    expect(() => app.synth()).not.toThrow();
    expect(new RookeryNagChecks().validateScope(app).violations).toEqual([]);
    // Without rookery's acknowledgements the same checks name exactly these resources.
    const plain = synth({}, { checks: 'plain' });
    const found = new AwsSolutionsChecks().validateScope(plain.stack).violations.map((v) => v.ruleName.replace(/Producer:ExportsOutput\w+?([A-Z][a-z]+[A-Za-z]*?)[0-9A-F]{8}\w*/g, '<$1>'));
    expect(found).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-*-<AWS::AccountId>-<AWS::Region>]',
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:\{"Fn::Select":\[6,.*\}:\*\]$/),
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<\w+>\/capture\/\*\]$/),
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<\w+>\/ground-truth\/\*\]$/),
    ]);
    const reasons = plain.stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'rookery:acknowledge-resource').map((m) => (m.data as { reason: string }).reason));
    expect(reasons).toHaveLength(4);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(80);
  });
});

// ---- through stacks/app.ts ----

describe('stacks/app.ts with -c githubRepository', () => {
  let modelRegistry: string;
  let emptyRegistry: string;
  beforeAll(async () => {
    emptyRegistry = join(tempDir(), 'registry');
    modelRegistry = await registryWithChampion(tempDir());
  }, 120_000);

  const app = async (context: Record<string, string>, registry: string) => {
    const outdir = tempDir();
    return { outdir, ...(await runCdkApp({ context, outdir, registry })) };
  };

  it('adds CicdStack reading EndpointStack’s bucket and PipelineStack’s state machine, cdk-nag clean; without a model, no capture grants', async () => {
    const [withModel, noModel] = await Promise.all([app({ githubRepository: 'me/rookery' }, modelRegistry), app({ githubRepository: 'me/rookery' }, emptyRegistry)]);
    for (const run of [withModel, noModel]) {
      expect(run.code, run.stderr).toBe(0);
      expect(nagFindings(run.outdir)).toEqual([]);
      expect(Object.keys(templates(run.outdir)).sort()).toEqual(['CicdStack', 'EndpointStack', 'MlflowStack', 'PipelineStack']);
    }
    const policies = (run: { outdir: string }) => JSON.stringify(Object.values(templates(run.outdir).CicdStack.Resources).filter((r: any) => r.Type === 'AWS::IAM::Policy'));
    expect(policies(withModel)).toMatch(/"Fn::ImportValue":"EndpointStack:ExportsOutputFnGetAttDataBucket/);
    expect(policies(withModel)).toMatch(/"Fn::ImportValue":"EndpointStack:ExportsOutputFnGetAttDataKey/);
    expect(policies(withModel)).toMatch(/"Fn::ImportValue":"PipelineStack:ExportsOutputRefStateMachine/);
    expect(policies(noModel)).not.toMatch(/s3:|kms:|EndpointStack/);
    const trust = JSON.stringify(templates(withModel.outdir).CicdStack.Resources);
    expect(trust).toContain('"token.actions.githubusercontent.com:sub":"repo:me/rookery:environment:production"');
    expect(trust).toContain('"token.actions.githubusercontent.com:sub":"repo:me/rookery:ref:refs/heads/main"');
  }, 300_000);

  it('refuses a value that is not OWNER/NAME in one line, exit 1, naming the key and an example', async () => {
    for (const bad of ['rookery', 'me/rookery/extra', 'me/*', 'https://github.com/me/rookery']) {
      const run = await app({ githubRepository: bad }, emptyRegistry);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([
        `rookery CDK app: -c githubRepository=${bad} is not valid: expected the GitHub repository as OWNER/NAME, e.g. -c githubRepository=octo-org/rookery`,
      ]);
    }
    const branch = await app({ githubRepository: 'me/rookery', githubBranch: 'release/*' }, emptyRegistry);
    expect(branch.code).toBe(1);
    expect(branch.stderr.trim()).toMatch(/^rookery CDK app: -c githubBranch=release\/\* is not valid: [^\n]+$/);
  }, 300_000);

  it('adds no CicdStack without -c githubRepository, even with githubEnvironment or githubBranch in the context', async () => {
    const run = await app({ githubEnvironment: 'production', githubBranch: 'main' }, emptyRegistry);
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(templates(run.outdir)).sort()).toEqual(['EndpointStack', 'MlflowStack', 'PipelineStack']);
  }, 300_000);
});
