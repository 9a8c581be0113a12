/**
 * Where rookery's users get the MLflow password: `rookery mlflow tunnel
 * --print` prints `export MLFLOW_TRACKING_PASSWORD="$(aws secretsmanager
 * get-secret-value ...)"`. Here that line runs in bash, with the AWS CLI,
 * against moto_server's Secrets Manager holding a secret made the way
 * CloudFormation makes MlflowStack's (GetRandomPassword with the template's
 * GenerateSecretString options), so the exported value is the password
 * itself and nothing else.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readAppConfig } from '../../stacks/config.ts';
import { MlflowStack } from '../../stacks/mlflow-stack.ts';
import { runCli } from '../helpers/cli.ts';
import { MOTO_INSTALL, MOTO_REGION, useMoto } from '../helpers/moto.ts';
import { useTempDirs } from '../helpers/temp.ts';

const moto = useMoto();
const awsCli = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
const tempDir = useTempDirs('rookery-mlflow-secret-');

/** The AWS CLI (an independent client; rookery has no Secrets Manager SDK client) against moto. */
function aws(...args: string[]): string {
  return execFileSync('aws', [...args, '--region', MOTO_REGION, '--output', 'text'], { env: { ...process.env, ...moto.server.env() }, encoding: 'utf8' }).trim();
}

/** MlflowStack's admin password secret: its GenerateSecretString, as synthesized. */
function generateOptions(): Record<string, unknown> {
  const app = new App();
  const template = Template.fromStack(new MlflowStack(app, 'MlflowStack', { context: readAppConfig(app.node).context }));
  const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret')) as any[];
  return secret.Properties.GenerateSecretString;
}

describe('the MLflow password from Secrets Manager, against moto_server', () => {
  if (!moto.available || !awsCli) {
    it.skip(!moto.available ? MOTO_INSTALL : 'the AWS CLI is not installed: run `pip install awscli`', () => {});
    return;
  }

  it('is what the printed export line puts in MLFLOW_TRACKING_PASSWORD', async () => {
    const o = generateOptions();
    // What CloudFormation does with GenerateSecretString: a random password, stored as the whole SecretString.
    expect(Object.keys(o).sort()).toEqual(['ExcludePunctuation', 'IncludeSpace', 'PasswordLength']);
    const flags = [`--password-length=${o.PasswordLength}`, o.ExcludePunctuation ? '--exclude-punctuation' : '--no-exclude-punctuation', o.IncludeSpace ? '--include-space' : '--no-include-space'];
    const RandomPassword = aws('secretsmanager', 'get-random-password', ...flags, '--query', 'RandomPassword');
    expect(RandomPassword).toMatch(/^[A-Za-z0-9]{32}$/);
    const ARN = aws('secretsmanager', 'create-secret', '--name', 'AdminPassword4DD767F0-AbCdEf', '--secret-string', RandomPassword, '--query', 'ARN');

    const dir = tempDir();
    const outputs = join(dir, 'mlflow-outputs.json');
    writeFileSync(outputs, JSON.stringify({ MlflowStack: { InstanceId: 'i-0123456789abcdef0', AdminUsername: 'admin', AdminSecretArn: ARN } }));
    const printed = await runCli(['mlflow', 'tunnel', '--print', '--outputs-file', outputs, '--region', MOTO_REGION], moto.server.env());
    expect(printed.code).toBe(0);
    const exportLine = printed.stdout.split('\n').find((l) => l.startsWith('export MLFLOW_TRACKING_PASSWORD='));
    expect(exportLine).toBeDefined();
    const password = execFileSync('bash', ['-c', `${exportLine}\nprintf %s "$MLFLOW_TRACKING_PASSWORD"`], { env: { ...process.env, ...moto.server.env() }, encoding: 'utf8' });
    expect(password).toBe(RandomPassword);
  }, 120_000);
});
