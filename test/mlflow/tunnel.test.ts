import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../scripts/cli.ts';
import { commands } from '../../scripts/commands/index.ts';
import { tunnelPlan } from '../../scripts/commands/mlflow-tunnel.ts';
import { readMlflowOutputs } from '../../scripts/mlflow/stack-outputs.ts';
import { runCli } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-tunnel-');
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AdminPassword4DD767F0-AbCdEf';

/** The file `cdk deploy MlflowStack --outputs-file FILE` writes. */
function outputsFile(dir: string, extra: Record<string, string> = {}): string {
  const file = join(dir, 'mlflow-outputs.json');
  writeFileSync(
    file,
    JSON.stringify({
      MlflowStack: {
        TrackingUriTunnel: 'http://localhost:5000',
        TunnelCommand: 'aws ssm start-session --target i-0123456789abcdef0 --document-name AWS-StartPortForwardingSession --parameters portNumber=5000,localPortNumber=5000 --region eu-west-1',
        InstanceId: 'i-0123456789abcdef0',
        ArtifactBucketName: 'mlflowstack-artifacts82dd59a1-abc',
        AdminUsername: 'admin',
        AdminSecretArn: SECRET_ARN,
        ...extra,
      },
    }),
  );
  return file;
}

describe('rookery mlflow tunnel', () => {
  it('builds the SSM port-forwarding command and the variables to export', () => {
    const plan = tunnelPlan({ instanceId: 'i-0123456789abcdef0', localPort: 5001, region: 'eu-west-1', profile: 'dev', adminSecretArn: SECRET_ARN });
    expect(plan.args).toEqual([
      'ssm', 'start-session', '--target', 'i-0123456789abcdef0', '--document-name', 'AWS-StartPortForwardingSession',
      '--parameters', 'portNumber=5000,localPortNumber=5001', '--region', 'eu-west-1', '--profile', 'dev',
    ]);
    expect(plan.exports).toEqual([
      'export MLFLOW_TRACKING_URI=http://localhost:5001',
      'export MLFLOW_TRACKING_USERNAME=admin',
      `export MLFLOW_TRACKING_PASSWORD="$(aws secretsmanager get-secret-value --secret-id ${SECRET_ARN} --region eu-west-1 --profile dev --query SecretString --output text)"`,
    ]);
  });

  it('reads instance, region and secret from the deploy outputs', () => {
    const file = outputsFile(tempDir(), { TrackingUriDirect: 'http://ec2-1-2-3-4.eu-west-1.compute.amazonaws.com:5000' });
    expect(readMlflowOutputs(file)).toEqual({
      file,
      outputs: { instanceId: 'i-0123456789abcdef0', region: 'eu-west-1', adminSecretArn: SECRET_ARN, adminUsername: 'admin', trackingUriDirect: 'http://ec2-1-2-3-4.eu-west-1.compute.amazonaws.com:5000' },
    });
  });

  it('--print gives eval-able export lines and the tunnel command', async () => {
    const lines: string[] = [];
    const code = await main(['mlflow', 'tunnel', '--print', '--outputs-file', outputsFile(tempDir())], commands, (l) => lines.push(l));
    expect(code).toBe(0);
    expect(lines.join('\n').split('\n')).toEqual([
      'export MLFLOW_TRACKING_URI=http://localhost:5000',
      'export MLFLOW_TRACKING_USERNAME=admin',
      `export MLFLOW_TRACKING_PASSWORD="$(aws secretsmanager get-secret-value --secret-id ${SECRET_ARN} --region eu-west-1 --query SecretString --output text)"`,
      '# tunnel: aws ssm start-session --target i-0123456789abcdef0 --document-name AWS-StartPortForwardingSession --parameters portNumber=5000,localPortNumber=5000 --region eu-west-1',
    ]);
  });

  it('says how to get the instance id when there are no outputs, and checks the flags', async () => {
    await expect(main(['mlflow', 'tunnel', '--outputs-file', join(tempDir(), 'none.json')], commands)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('npx cdk deploy MlflowStack --outputs-file'),
    });
    await expect(main(['mlflow', 'tunnel', '--print', '--instance-id', 'web-1'], commands)).rejects.toThrow(/--instance-id "web-1" is not an EC2 instance id/);
    await expect(main(['mlflow', 'tunnel', '--print', '--instance-id', 'i-0123456789abcdef0', '--local-port', '70000'], commands)).rejects.toThrow(/--local-port "70000" must be at most 65535/);
  });

  it('runs the AWS CLI with those arguments and prints where to point MLflow clients', async () => {
    const dir = tempDir();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const argsFile = join(dir, 'args.txt');
    writeFileSync(join(bin, 'aws'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\necho 'Waiting for connections...'\n`);
    chmodSync(join(bin, 'aws'), 0o755);
    const result = await runCli(['mlflow', 'tunnel', '--outputs-file', outputsFile(dir), '--local-port', '5001'], { PATH: `${bin}${delimiter}${process.env.PATH}` });
    expect(result.code).toBe(0);
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).toEqual([
      'ssm', 'start-session', '--target', 'i-0123456789abcdef0', '--document-name', 'AWS-StartPortForwardingSession',
      '--parameters', 'portNumber=5000,localPortNumber=5001', '--region', 'eu-west-1',
    ]);
    expect(result.stdout).toContain('Forwarding localhost:5001 to MLflow on i-0123456789abcdef0 until Ctrl-C. In another shell:');
    expect(result.stdout).toContain('  export MLFLOW_TRACKING_URI=http://localhost:5001');
    expect(result.stdout).toContain('Waiting for connections...');
  });

  it('reports a failing session with what to check', async () => {
    const dir = tempDir();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'aws'), '#!/bin/sh\necho "SessionManagerPlugin is not found." >&2\nexit 255\n');
    chmodSync(join(bin, 'aws'), 0o755);
    const result = await runCli(['mlflow', 'tunnel', '--instance-id', 'i-0123456789abcdef0'], { PATH: `${bin}${delimiter}${process.env.PATH}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SessionManagerPlugin is not found.');
    expect(result.stderr).toContain('rookery: aws ssm start-session exited with 255: check your AWS credentials and region, that the Session Manager plugin is installed');
  });
});
