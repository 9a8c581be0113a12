import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../../model/user-error.ts';

export const MLFLOW_STACK = 'MlflowStack';
/** Where the README's `cdk deploy MlflowStack --outputs-file` writes; `cdk-outputs.json` is read too. */
export const MLFLOW_OUTPUTS_FILE = '.rookery/mlflow-outputs.json';
const SHARED_OUTPUTS_FILE = 'cdk-outputs.json';

/** The MlflowStack outputs rookery uses (see stacks/mlflow-stack.ts). */
export interface MlflowStackOutputs {
  instanceId?: string;
  region?: string;
  adminSecretArn?: string;
  adminUsername?: string;
  trackingUriDirect?: string;
}

function parse(file: string): Record<string, Record<string, string>> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  } catch (err) {
    throw new UserError(`${file} is not JSON (${(err as Error).message}); it should be the file \`cdk deploy --outputs-file\` writes`);
  }
}

/**
 * MlflowStack's outputs from the file `cdk deploy --outputs-file` wrote:
 * the given one, else `.rookery/mlflow-outputs.json`, else `cdk-outputs.json`.
 * Undefined when no file has them.
 */
export function readMlflowOutputs(file?: string): { outputs: MlflowStackOutputs; file: string } | undefined {
  const candidates = file ? [file] : [MLFLOW_OUTPUTS_FILE, SHARED_OUTPUTS_FILE];
  if (file && !existsSync(file)) throw new UserError(`--outputs-file ${file} does not exist: deploy with \`npx cdk deploy MlflowStack --outputs-file ${file}\``, { exitCode: 2 });
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const stack = parse(candidate)?.[MLFLOW_STACK];
    if (!stack) continue;
    // The TunnelCommand output ends with `--region <region>`; the ARNs carry it too.
    const region = / --region (\S+)/.exec(stack.TunnelCommand ?? '')?.[1] ?? /^arn:[^:]+:[^:]+:([^:]+):/.exec(stack.AdminSecretArn ?? '')?.[1];
    return {
      file: candidate,
      outputs: {
        ...(stack.InstanceId ? { instanceId: stack.InstanceId } : {}),
        ...(region ? { region } : {}),
        ...(stack.AdminSecretArn ? { adminSecretArn: stack.AdminSecretArn } : {}),
        ...(stack.AdminUsername ? { adminUsername: stack.AdminUsername } : {}),
        ...(stack.TrackingUriDirect ? { trackingUriDirect: stack.TrackingUriDirect } : {}),
      },
    };
  }
  return undefined;
}
