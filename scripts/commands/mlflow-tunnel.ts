import { spawn } from 'node:child_process';
import { UserError } from '../../model/user-error.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { MLFLOW_OUTPUTS_FILE, readMlflowOutputs } from '../mlflow/stack-outputs.ts';

/** The port MLflow listens on in MlflowStack (stacks/mlflow-stack.ts). */
const REMOTE_PORT = 5000;

export interface TunnelOptions {
  instanceId: string;
  localPort: number;
  region?: string;
  profile?: string;
  adminSecretArn?: string;
  adminUsername?: string;
}

/** `aws ssm start-session` arguments for MLflow's port, and the shell lines that point MLflow clients at the tunnel. */
export function tunnelPlan(o: TunnelOptions): { args: string[]; exports: string[] } {
  const common = [...(o.region ? ['--region', o.region] : []), ...(o.profile ? ['--profile', o.profile] : [])];
  const args = [
    'ssm',
    'start-session',
    '--target',
    o.instanceId,
    '--document-name',
    'AWS-StartPortForwardingSession',
    '--parameters',
    `portNumber=${REMOTE_PORT},localPortNumber=${o.localPort}`,
    ...common,
  ];
  const secret = o.adminSecretArn ?? '<AdminSecretArn output of MlflowStack>';
  const exports = [
    `export MLFLOW_TRACKING_URI=http://localhost:${o.localPort}`,
    `export MLFLOW_TRACKING_USERNAME=${o.adminUsername ?? 'admin'}`,
    `export MLFLOW_TRACKING_PASSWORD="$(aws secretsmanager get-secret-value --secret-id ${secret} ${common.join(' ')}${common.length ? ' ' : ''}--query SecretString --output text)"`,
  ];
  return { args, exports };
}

const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,17}$/;

export const mlflowTunnelCommand = defineCommand({
  name: 'mlflow tunnel',
  summary: "Forward localhost:5000 to MlflowStack's MLflow server through SSM Session Manager",
  about: `
Runs \`aws ssm start-session --document-name AWS-StartPortForwardingSession\` to the MLflow
server (port ${REMOTE_PORT}) until Ctrl-C, and prints the MLFLOW_TRACKING_* lines to export in another
shell. Needs the AWS CLI v2 and the Session Manager plugin.`,
  options: {
    'instance-id': { type: 'string', value: 'ID', description: 'the server instance (default: the InstanceId output of MlflowStack)' },
    'outputs-file': {
      type: 'string',
      value: 'FILE',
      description: `outputs written by \`npx cdk deploy MlflowStack --outputs-file FILE\`\n(default: ${MLFLOW_OUTPUTS_FILE}, then cdk-outputs.json)`,
    },
    'local-port': { type: 'string', value: 'N', description: `local port; macOS AirPlay may hold ${REMOTE_PORT}: use ${REMOTE_PORT + 1}`, default: REMOTE_PORT },
    region: { type: 'string', value: 'REGION', description: 'AWS region (default: from the outputs file, else your AWS config)' },
    profile: { type: 'string', value: 'NAME', description: 'AWS CLI profile' },
    print: {
      type: 'boolean',
      description: 'print the export lines and the tunnel command instead of running it:\neval "$(npx rookery mlflow tunnel --print)"',
    },
  },
  async run({ values, out }) {
    const found = readMlflowOutputs(values['outputs-file']);
    const instanceId = values['instance-id'] ?? found?.outputs.instanceId;
    if (!instanceId) {
      throw new UserError(
        `no --instance-id and no MlflowStack outputs in ${MLFLOW_OUTPUTS_FILE} or cdk-outputs.json: deploy with \`npx cdk deploy MlflowStack --outputs-file ${MLFLOW_OUTPUTS_FILE}\`, or pass --instance-id i-...`,
        { exitCode: 2 },
      );
    }
    if (!INSTANCE_ID.test(instanceId)) throw new UserError(`--instance-id ${JSON.stringify(instanceId)} is not an EC2 instance id like i-0123456789abcdef0`, { exitCode: 2 });
    const region = values.region ?? found?.outputs.region;
    const localPort = numberFlag('local-port', values['local-port'], REMOTE_PORT, { integer: true, min: 1, max: 65535 });
    const plan = tunnelPlan({
      instanceId,
      localPort,
      ...(region ? { region } : {}),
      ...(values.profile ? { profile: values.profile } : {}),
      ...(found?.outputs.adminSecretArn ? { adminSecretArn: found.outputs.adminSecretArn } : {}),
      ...(found?.outputs.adminUsername ? { adminUsername: found.outputs.adminUsername } : {}),
    });
    const command = `aws ${plan.args.join(' ')}`;
    if (values.print) {
      out([...plan.exports, `# tunnel: ${command}`].join('\n'));
      return 0;
    }
    out(
      [
        `Forwarding localhost:${localPort} to MLflow on ${instanceId} until Ctrl-C. In another shell:`,
        ...plan.exports.map((l) => `  ${l}`),
        `(${command})`,
      ].join('\n'),
    );
    return runAws(plan.args);
  },
});

/** Runs the AWS CLI attached to this terminal; Ctrl-C reaches it directly and ends the session. */
function runAws(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const ignoreInterrupt = () => undefined;
    process.on('SIGINT', ignoreInterrupt);
    const child = spawn('aws', args, { stdio: 'inherit' });
    const done = () => process.off('SIGINT', ignoreInterrupt);
    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      if (err.code === 'ENOENT') {
        reject(new UserError('`aws` is not on PATH: install the AWS CLI v2 and the Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html)'));
      } else reject(err);
    });
    child.on('close', (code, signal) => {
      done();
      if (code === 0 || signal === 'SIGINT' || code === 130) return resolve(0);
      reject(
        new UserError(
          `aws ssm start-session exited with ${code ?? signal}: check your AWS credentials and region, that the Session Manager plugin is installed, and that the instance shows as online in \`aws ssm describe-instance-information\``,
        ),
      );
    });
  });
}
