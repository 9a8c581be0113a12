import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../../model/user-error.ts';

export const DEFAULT_OUTPUTS_FILE = 'cdk-outputs.json';
export const PIPELINE_STACK = 'PipelineStack';

/**
 * The state machine ARN from `cdk deploy PipelineStack --outputs-file FILE`:
 * `{"PipelineStack": {"StateMachineArn": "arn:aws:states:..."}}`.
 */
export function stateMachineArnFromOutputs(file: string): string {
  if (!existsSync(file)) {
    throw new UserError(
      `no --state-machine ARN and no ${file}: deploy with \`npx cdk deploy PipelineStack --outputs-file ${file}\`, or pass --state-machine arn:aws:states:...`,
      { exitCode: 2 },
    );
  }
  let outputs: Record<string, Record<string, string>>;
  try {
    outputs = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file} is not JSON (${(err as Error).message}); it should be the file \`cdk deploy --outputs-file\` writes`);
  }
  const stacks = [PIPELINE_STACK, ...Object.keys(outputs ?? {}).filter((k) => k !== PIPELINE_STACK)];
  for (const stack of stacks) {
    const arn = outputs?.[stack]?.StateMachineArn;
    if (typeof arn === 'string' && arn.startsWith('arn:')) return arn;
  }
  throw new UserError(`${file} has no ${PIPELINE_STACK}.StateMachineArn output: deploy PipelineStack with --outputs-file ${file}, or pass --state-machine ARN`);
}
