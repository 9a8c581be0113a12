/**
 * `rookery pipeline run` and `rookery pipeline watch` against a local double
 * of the Step Functions JSON API (the AWS SDK client pointed at it with
 * AWS_ENDPOINT_URL and static test credentials).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../scripts/cli.ts';
import { commands } from '../../scripts/commands/index.ts';
import { explainCause } from '../../scripts/pipeline/execution.ts';
import { AwsDouble, REGION, type HistoryEvent } from '../helpers/aws-double.ts';

const STATE_MACHINE = `arn:aws:states:${REGION}:123456789012:stateMachine:StateMachine2E01A3A5-AbCdEf`;
let aws: AwsDouble;
let lines: string[];
let restoreEnv: () => void;

beforeAll(async () => {
  aws = await AwsDouble.start();
  restoreEnv = aws.useInProcess();
});
afterAll(async () => {
  restoreEnv();
  await aws.close();
});
beforeEach(() => {
  lines = [];
  aws.executions.length = 0;
});

const run = (...argv: string[]) => main(argv, commands, (line) => lines.push(line));

const entered = (type: string, name: string): HistoryEvent => ({ type: `${type}StateEntered`, stateEnteredEventDetails: { name, input: '{}' } });
const exited = (type: string, name: string): HistoryEvent => ({ type: `${type}StateExited`, stateExitedEventDetails: { name, output: '{}' } });
const batchTask = (name: string, failures: string[] = []): HistoryEvent[] => [
  entered('Task', name),
  ...failures.flatMap((cause) => [
    { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'batch', resource: 'submitJob.sync', region: REGION, parameters: '{}' } },
    { type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'batch', resource: 'submitJob.sync' } },
    { type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'batch', resource: 'submitJob.sync', error: 'States.TaskFailed', cause } },
  ]),
  { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'batch', resource: 'submitJob.sync', region: REGION, parameters: '{}' } },
  { type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'batch', resource: 'submitJob.sync' } },
  { type: 'TaskSubmitted', taskSubmittedEventDetails: { resourceType: 'batch', resource: 'submitJob.sync', output: JSON.stringify({ JobId: 'a1b2c3', JobName: `rookery-${name.toLowerCase()}` }) } },
  { type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'batch', resource: 'submitJob.sync', output: '{}' } },
  exited('Task', name),
];

const SPOT_LOSS = JSON.stringify({ JobName: 'rookery-train', Status: 'FAILED', StatusReason: 'Host EC2 (instance i-0abc) terminated.', Container: { LogStreamName: 'trainjob/default/0f1e' } });

function successfulRun(): HistoryEvent[] {
  return [
    { type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}', roleArn: 'arn:aws:iam::123456789012:role/x' } },
    entered('Pass', 'Defaults'), exited('Pass', 'Defaults'),
    entered('Pass', 'Configure'), exited('Pass', 'Configure'),
    entered('Choice', 'ValidateInput'), exited('Choice', 'ValidateInput'),
    ...batchTask('Train', [SPOT_LOSS]),
    entered('Task', 'ReadTrainingResult'), exited('Task', 'ReadTrainingResult'),
    entered('Choice', 'AccuracyGate'), exited('Choice', 'AccuracyGate'),
    ...batchTask('RegisterModel'),
    entered('Task', 'ReadRegistration'), exited('Task', 'ReadRegistration'),
    ...batchTask('DeployToEndpoint'),
    entered('Pass', 'Summarize'), exited('Pass', 'Summarize'),
    entered('Succeed', 'Deployed'), exited('Succeed', 'Deployed'),
    { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{"model":"models:/penguins/7","accuracy":0.97,"endpoint":"rookery-penguins"}' } },
  ];
}

describe('rookery pipeline run', () => {
  it('starts the execution with the threshold and prints each state with timestamps until it succeeds', async () => {
    aws.script = successfulRun();
    expect(await run('pipeline', 'run', '--accuracy-threshold', '0.9', '--state-machine', STATE_MACHINE, '--poll-seconds', '0')).toBe(0);

    expect(aws.executions).toEqual([expect.objectContaining({ stateMachineArn: STATE_MACHINE, input: { trigger: 'cli', accuracyThreshold: 0.9 } })]);
    const arn = aws.executions[0].executionArn;
    expect(lines[0]).toBe(`started ${arn}`);
    expect(lines[1]).toBe(`console: https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${arn}`);
    const body = lines.slice(2);
    // 2024-06-01T12:00:00Z plus 7 s per event, in UTC.
    expect(body[0]).toBe('12:00:07Z  -> Defaults');
    expect(body.slice(6, 12)).toEqual([
      '12:00:49Z  -> Train',
      '12:01:10Z     Train failed: States.TaskFailed: job rookery-train FAILED: Host EC2 (instance i-0abc) terminated.; log stream trainjob/default/0f1e',
      '12:01:17Z     Train: retrying (attempt 2)',
      '12:01:31Z     Train: Batch job rookery-train a1b2c3',
      '12:01:45Z  <- Train (56s)',
      '12:01:52Z  -> ReadTrainingResult',
    ]);
    expect(body.filter((l) => /-> /.test(l)).map((l) => l.split('-> ')[1])).toEqual([
      'Defaults', 'Configure', 'ValidateInput', 'Train', 'ReadTrainingResult', 'AccuracyGate', 'RegisterModel', 'ReadRegistration', 'DeployToEndpoint', 'Summarize', 'Deployed',
    ]);
    expect(body.at(-1)).toMatch(/^\d\d:\d\d:\d\dZ  execution succeeded: \{"model":"models:\/penguins\/7",/);
    // Each event printed once though the history was read from the start on every poll, in pages.
    expect(new Set(body).size).toBe(body.length);
    expect(aws.calls.filter((c) => c.operation === 'GetExecutionHistory').length).toBeGreaterThan(10);
  });

  it('exits 1 and says why when the execution fails below the threshold', async () => {
    aws.script = [
      { type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}' } },
      ...batchTask('Train'),
      entered('Choice', 'AccuracyGate'), exited('Choice', 'AccuracyGate'),
      entered('Pass', 'ExplainBelowThreshold'), exited('Pass', 'ExplainBelowThreshold'),
      entered('Fail', 'NotDeployedBelowThreshold'),
      {
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: 'ModelBelowThreshold', cause: 'cross-validated accuracy 0.97 is below the threshold 0.99: the model was not registered and the endpoint was not changed' },
      },
    ];
    expect(await run('pipeline', 'run', '--accuracy-threshold', '0.99', '--state-machine', STATE_MACHINE, '--poll-seconds', '0')).toBe(1);
    expect(lines.at(-1)).toMatch(/^\d\d:\d\d:\d\dZ  execution failed: ModelBelowThreshold: cross-validated accuracy 0\.97 is below the threshold 0\.99: the model was not registered and the endpoint was not changed$/);
  });

  it('reports a timed-out execution and exits 1', async () => {
    aws.script = [{ type: 'ExecutionStarted' }, entered('Task', 'Train'), { type: 'ExecutionTimedOut', executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution timed out' } }];
    expect(await run('pipeline', 'run', '--state-machine', STATE_MACHINE, '--poll-seconds', '0')).toBe(1);
    expect(lines.at(-1)).toMatch(/execution timed out: States.Timeout: The execution timed out$/);
    expect(aws.executions[0].input).toEqual({ trigger: 'cli' });
  });

  it('finds the state machine in the cdk deploy --outputs-file JSON, and returns at once with --no-wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rookery-outputs-'));
    const file = join(dir, 'cdk-outputs.json');
    writeFileSync(file, JSON.stringify({ MlflowStack: { InstanceId: 'i-0abc' }, PipelineStack: { StateMachineArn: STATE_MACHINE, JobQueueArn: 'arn:aws:batch:...' } }));
    aws.script = successfulRun();
    expect(await run('pipeline', 'run', '--outputs-file', file, '--no-wait', '--name', 'nightly-2024-06-01')).toBe(0);
    expect(aws.executions[0]).toMatchObject({ stateMachineArn: STATE_MACHINE, name: 'nightly-2024-06-01' });
    expect(lines).toEqual([expect.stringMatching(/^started .*:execution:.*:nightly-2024-06-01$/), expect.stringMatching(/^console: /)]);
  });

  it('says what to do when it cannot tell which state machine, or the arguments are wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rookery-outputs-'));
    await expect(run('pipeline', 'run', '--outputs-file', join(dir, 'nope.json'))).rejects.toThrow(/no --state-machine ARN and no .*nope\.json: deploy with `npx cdk deploy PipelineStack --outputs-file/);
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ MlflowStack: { InstanceId: 'i-0abc' } }));
    await expect(run('pipeline', 'run', '--outputs-file', join(dir, 'other.json'))).rejects.toThrow(/has no PipelineStack.StateMachineArn output/);
    await expect(run('pipeline', 'run', '--state-machine', STATE_MACHINE, '--accuracy-threshold', '1.5')).rejects.toThrow(/--accuracy-threshold "1.5" must be at most 1/);
    await expect(run('pipeline', 'run', '--state-machine', 'my-pipeline')).rejects.toThrow(/"my-pipeline" is not a state machine ARN/);
    await expect(run('pipeline', 'run', '--state-machine', STATE_MACHINE, '--name', 'has space')).rejects.toThrow(/--name "has space" must be 1 to 80/);
    await expect(run('pipeline', 'run', '--state-machine', `arn:aws:states:${REGION}:123456789012:stateMachine:missing`)).rejects.toThrow(
      /cannot start .*:missing: StateMachineDoesNotExist: State Machine Does Not Exist/,
    );
    expect(aws.executions).toEqual([]);
  });
});

describe('rookery pipeline watch', () => {
  it('prints an execution’s history from the start until it ends', async () => {
    aws.script = successfulRun();
    const arn = `arn:aws:states:${REGION}:123456789012:execution:StateMachine2E01A3A5-AbCdEf:nightly`;
    expect(await run('pipeline', 'watch', arn, '--poll-seconds', '0')).toBe(0);
    expect(lines[0]).toBe('12:00:07Z  -> Defaults');
    expect(lines.at(-1)).toMatch(/execution succeeded/);
    await expect(run('pipeline', 'watch')).rejects.toThrow(/give exactly one execution ARN/);
    await expect(run('pipeline', 'watch', STATE_MACHINE)).rejects.toThrow(/is not an execution ARN/);
  });
});

describe('explainCause', () => {
  it('shows why a Batch job failed and where its log is, and anything else as it is', () => {
    expect(explainCause(JSON.stringify({ JobName: 'rookery-train', Status: 'FAILED', StatusReason: 'Essential container in task exited', Container: { ExitCode: 1, LogStreamName: 'trainjob/default/abc' } }))).toBe(
      'job rookery-train FAILED: Essential container in task exited (exit code 1); log stream trainjob/default/abc',
    );
    expect(explainCause('Too many requests')).toBe('Too many requests');
    expect(explainCause('{"not":"a job"}')).toBe('{"not":"a job"}');
    expect(explainCause(undefined)).toBe('');
  });
});
