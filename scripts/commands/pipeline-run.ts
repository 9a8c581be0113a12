import { defineCommand, numberFlag } from '../command.ts';
import { UserError } from '../../model/user-error.ts';
import { DEFAULT_OUTPUTS_FILE, stateMachineArnFromOutputs } from '../pipeline/stack-outputs.ts';
import { POLL_SECONDS } from './pipeline-watch.ts';
import { DEFAULT_ACCURACY_THRESHOLD } from '../../model/defaults.ts';

export const pipelineRunCommand = defineCommand({
  name: 'pipeline run',
  summary: 'Start the training pipeline in AWS Step Functions and print its progress until it ends',
  notes: `
Prints each state entered and left with UTC timestamps, failures with their cause and retries,
and where the training job put its report (training report: s3://BUCKET/runs/NAME/model/report.html).
Interrupting stops the watching, not the execution: \`rookery pipeline watch EXECUTION_ARN\` resumes it.
AWS credentials and region come from the usual places (AWS_PROFILE, AWS_REGION, ...).

Exit status: 0 when the execution succeeds, 1 when it fails, times out or is aborted
(below the accuracy threshold it fails with ModelBelowThreshold, and nothing is deployed).`,
  options: {
    'accuracy-threshold': {
      type: 'string',
      value: 'X',
      description: `register and deploy only if the cross-validated accuracy is at least X\n(default: the stack's accuracyThreshold context, ${DEFAULT_ACCURACY_THRESHOLD} unless set)`,
    },
    'state-machine': { type: 'string', value: 'ARN', description: "the pipeline's state machine (default: PipelineStack.StateMachineArn in the outputs file)" },
    'outputs-file': { type: 'string', value: 'FILE', description: 'what `cdk deploy PipelineStack --outputs-file FILE` wrote', default: DEFAULT_OUTPUTS_FILE },
    name: { type: 'string', value: 'NAME', description: "execution name (default: generated); names the run's folder in the runs bucket" },
    'no-wait': { type: 'boolean', description: 'print the execution ARN and return' },
    'poll-seconds': { type: 'string', value: 'N', description: 'how often to read the execution history', default: POLL_SECONDS },
  },
  async run({ values, out }) {
    const input: Record<string, unknown> = { trigger: 'cli' };
    if (values['accuracy-threshold'] !== undefined) {
      input.accuracyThreshold = numberFlag('accuracy-threshold', values['accuracy-threshold'], 0, { min: 0, max: 1 });
    }
    if (values.name !== undefined && !/^[A-Za-z0-9_-]{1,80}$/.test(values.name)) {
      throw new UserError(`--name ${JSON.stringify(values.name)} must be 1 to 80 letters, digits, '-' or '_'`, { exitCode: 2 });
    }
    const pollIntervalMs = numberFlag('poll-seconds', values['poll-seconds'], POLL_SECONDS, { min: 0 }) * 1000;
    const stateMachineArn = values['state-machine'] ?? stateMachineArnFromOutputs(values['outputs-file'] ?? DEFAULT_OUTPUTS_FILE);
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/.test(stateMachineArn)) {
      throw new UserError(`${JSON.stringify(stateMachineArn)} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`, { exitCode: 2 });
    }

    const sfn = await import('@aws-sdk/client-sfn');
    const { consoleUrl, startExecution, watchExecution } = await import('../pipeline/execution.ts');
    // The state machine's region, whatever AWS_REGION says.
    const { clientConfig } = await import('../aws/clients.ts');
    // The state machine's own region, with the same retry policy as every other client.
    const client = new sfn.SFNClient(clientConfig(stateMachineArn.split(':')[3]));
    const executionArn = await startExecution(client, sfn, { stateMachineArn, input, ...(values.name ? { name: values.name } : {}) });
    out(`started ${executionArn}`);
    out(`console: ${consoleUrl(executionArn)}`);
    if (values['no-wait']) return 0;
    const end = await watchExecution(client, sfn, executionArn, { pollIntervalMs, out });
    return end.status === 'SUCCEEDED' ? 0 : 1;
  },
});
