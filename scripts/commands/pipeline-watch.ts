import { UserError } from '../../model/user-error.ts';
import { defineCommand, numberFlag } from '../command.ts';

/** How often `pipeline watch` and `pipeline run` read the execution history, in seconds. */
export const POLL_SECONDS = 5;

export const pipelineWatchCommand = defineCommand({
  name: 'pipeline watch',
  summary: 'Print the progress of a training pipeline execution until it ends',
  args: 'EXECUTION_ARN',
  about: 'Prints the whole history so far, then each new state entered and left, until the execution ends.',
  notes: 'Exit status: 0 when the execution succeeded, 1 when it failed, timed out or was aborted.',
  allowPositionals: true,
  options: {
    'poll-seconds': { type: 'string', value: 'N', description: 'how often to read the execution history', default: POLL_SECONDS },
  },
  async run({ values, positionals, out }) {
    const [executionArn, ...extra] = positionals;
    if (!executionArn || extra.length) throw new UserError('give exactly one execution ARN (`rookery pipeline run` prints it)', { exitCode: 2 });
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[\w-]+:[\w-]+$/.test(executionArn)) {
      throw new UserError(`${JSON.stringify(executionArn)} is not an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME)`, { exitCode: 2 });
    }
    const pollIntervalMs = numberFlag('poll-seconds', values['poll-seconds'], POLL_SECONDS, { min: 0 }) * 1000;
    const sfn = await import('@aws-sdk/client-sfn');
    const { watchExecution } = await import('../pipeline/execution.ts');
    const { clientConfig } = await import('../aws/clients.ts');
    // The state machine's own region, with the same retry policy as every other client.
    const client = new sfn.SFNClient(clientConfig(executionArn.split(':')[3]));
    const end = await watchExecution(client, sfn, executionArn, { pollIntervalMs, out });
    return end.status === 'SUCCEEDED' ? 0 : 1;
  },
});
