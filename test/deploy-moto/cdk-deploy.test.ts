// The CDK deploy path against moto_server: `npx cdk bootstrap` and `npx cdk deploy MlflowStack` as a
// user runs them (dummy credentials, AWS_ENDPOINT_URL), then what was created, read back with the
// AWS CLI as an independent client. The template is the app's own; nothing is bent to suit moto.
// What moto's CloudFormation cannot create is listed in CONTRIBUTING.md.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';
import { useTempDirs } from '../helpers/temp.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ACCOUNT = '123456789012';
const moto = useMoto();
const tempDir = useTempDirs('rookery-deploy-moto-');

/** moto's address with `localhost`: CloudFormation fetches the template from the TemplateURL CDK builds from it. */
function env(): NodeJS.ProcessEnv {
  const aws = moto.server.env();
  return { PATH: process.env.PATH, HOME: tempDir(), ...aws, AWS_DEFAULT_REGION: aws.AWS_REGION, AWS_ENDPOINT_URL: aws.AWS_ENDPOINT_URL.replace('127.0.0.1', 'localhost'), ROOKERY_REGISTRY: join(tempDir(), 'registry'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

function cdk(args: string[], environment: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', ...args], { cwd: REPO_ROOT, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The AWS CLI (v1, in python3) against the same emulator, as JSON. */
function awsCli(args: string[], environment: NodeJS.ProcessEnv): any {
  const r = spawnSync('aws', [...args, '--output', 'json'], { env: environment, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const awsCliAvailable = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;

if (!moto.available || !awsCliAvailable) {
  it.skip(`cdk bootstrap and deploy against moto: ${moto.available ? 'the AWS CLI is not installed (pip install awscli)' : MOTO_INSTALL}`, () => {});
} else {
  describe('npx cdk bootstrap and npx cdk deploy against moto_server', () => {
    it('bootstraps the account, then deploys MlflowStack: its VPC, subnets and artifact bucket exist', async () => {
      const environment = env();
      const boot = await cdk(['bootstrap', `aws://${ACCOUNT}/${environment.AWS_REGION}`, '--output', tempDir()], environment);
      expect(boot.code, boot.output).toBe(0);
      const toolkit = awsCli(['cloudformation', 'describe-stacks', '--stack-name', 'CDKToolkit'], environment).Stacks[0];
      expect(toolkit.StackStatus).toBe('CREATE_COMPLETE');
      const buckets = () => awsCli(['s3api', 'list-buckets'], environment).Buckets.map((b: any) => b.Name as string);
      expect(buckets()).toContain(`cdk-hnb659fds-assets-${ACCOUNT}-${environment.AWS_REGION}`);

      const deploy = await cdk(['deploy', 'MlflowStack', '--exclusively', '--require-approval', 'never', '--output', tempDir()], environment);
      expect(deploy.code, deploy.output).toBe(0);
      const stack = awsCli(['cloudformation', 'describe-stacks', '--stack-name', 'MlflowStack'], environment).Stacks[0];
      expect(stack.StackStatus).toBe('CREATE_COMPLETE');
      // moto returns no Outputs for this stack, so the resources are found through their own APIs
      // (the emulator is this file's alone: everything in it is what the two commands created).
      // moto skips the EC2 instance (CONTRIBUTING.md: what moto cannot create); the network and bucket are there.
      const vpcs = awsCli(['ec2', 'describe-vpcs', '--filters', 'Name=cidr,Values=10.0.0.0/16'], environment).Vpcs;
      expect(vpcs).toHaveLength(1);
      const subnets = awsCli(['ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${vpcs[0].VpcId}`], environment).Subnets;
      expect(subnets).toHaveLength(2);
      expect(buckets().filter((name: string) => /artifacts/i.test(name))).toHaveLength(1);
    }, 900_000);
  });
}
