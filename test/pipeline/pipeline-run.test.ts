/**
 * `rookery pipeline run` and `rookery pipeline watch`, run as a user runs
 * them (child processes), against moto_server's Step Functions with its
 * state machine interpreter on (`execute_state_machine`): the synthesized
 * PipelineStack definition runs there, its Pass, Choice, Fail and Succeed
 * states, intrinsic functions and paths interpreted by moto. moto cannot run
 * the Task states (its Batch needs Docker, and its aws-sdk:s3:getObject
 * integration fails on the response body), so the tests that follow a whole
 * run swap each Task for a Pass state carrying what that task would return;
 * one test runs the definition untouched to show how a failing task prints.
 *
 * moto limits: one execution between resets (a second StartExecution fails
 * inside moto), hence a reset before each test and one execution per test.
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../scripts/cli.ts';
import { clientConfig } from '../../scripts/aws/clients.ts';
import { commands } from '../../scripts/commands/index.ts';
import { explainCause, HistoryPrinter } from '../../scripts/pipeline/execution.ts';
import { HistoryEvent$ } from '@aws-sdk/client-sfn';
import { shapeProblems } from '../helpers/aws-model.ts';
import { runCli } from '../helpers/cli.ts';
import { MOTO_INSTALL, MOTO_REGION, useMoto } from '../helpers/moto.ts';
import { resolveDefinition, synthPipeline } from './definition.ts';

const moto = useMoto();
let sfn: SFNClient;
let definition: any;

beforeAll(async () => {
  if (!moto.available) return;
  await moto.server.configure({ stepfunctions: { execute_state_machine: true } });
  sfn = new SFNClient(clientConfig(MOTO_REGION));
  definition = resolveDefinition(synthPipeline().template);
}, 120_000);
afterAll(() => sfn?.destroy());
beforeEach(async () => {
  if (moto.available) await moto.server.reset();
});

/** What each Task state of a passing run returns, at its ResultPath (the shapes its ResultSelector makes). */
const PASSING_TASKS = (accuracy: number): Record<string, unknown> => ({
  Train: { jobId: 'job-train', jobName: 'rookery-train', status: 'SUCCEEDED' },
  ReadTrainingResult: { result: { name: 'penguins', accuracy, passed: true } },
  RegisterModel: { jobId: 'job-register', jobName: 'rookery-register', status: 'SUCCEEDED' },
  ReadRegistration: { result: { name: 'penguins', version: 7, alias: 'champion' } },
  DeployToEndpoint: { jobId: 'job-deploy', jobName: 'rookery-deploy', status: 'SUCCEEDED' },
});

/** PipelineStack's state machine in moto; with `tasks`, each Task state becomes a Pass state returning its entry. */
async function stateMachine(tasks?: Record<string, unknown>): Promise<string> {
  const states: Record<string, any> = structuredClone(definition.States);
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task' || !tasks) continue;
    if (!(name in tasks)) throw new Error(`no stand-in result for the ${name} task`);
    states[name] = { Type: 'Pass', Result: tasks[name], ResultPath: state.ResultPath, Next: state.Next };
  }
  const created = await sfn.send(
    new CreateStateMachineCommand({ name: 'PipelineStateMachine', roleArn: `arn:aws:iam::123456789012:role/PipelineStack-StateMachineRole`, definition: JSON.stringify({ ...definition, States: states }) }),
  );
  return created.stateMachineArn!;
}

const cli = (...argv: string[]) => runCli(argv, moto.server.env(), { timeoutMs: 60_000 });
const entered = (stdout: string) => [...stdout.matchAll(/^\d\d:\d\d:\d\dZ  -> (\S+)$/gm)].map((m) => m[1]);

describe('rookery pipeline run against moto_server', () => {
  if (!moto.available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it('starts the execution with the threshold and prints each state until it succeeds, exiting 0', async () => {
    const arn = await stateMachine(PASSING_TASKS(0.97));
    const run = await cli('pipeline', 'run', '--accuracy-threshold', '0.9', '--state-machine', arn, '--name', 'nightly', '--poll-seconds', '0.2');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const executionArn = `arn:aws:states:${MOTO_REGION}:123456789012:execution:PipelineStateMachine:nightly`;
    expect(lines[0]).toBe(`started ${executionArn}`);
    expect(lines[1]).toBe(`console: https://${MOTO_REGION}.console.aws.amazon.com/states/home?region=${MOTO_REGION}#/v2/executions/details/${executionArn}`);
    expect(entered(run.stdout)).toEqual(['Defaults', 'Configure', 'ValidateInput', 'Train', 'ReadTrainingResult', 'AccuracyGate', 'RegisterModel', 'ReadRegistration', 'DeployToEndpoint', 'Summarize', 'Deployed']);
    // Each event once, though the history was read from the start on every poll.
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.filter((l) => /  <- Train \(\d+s\)$/.test(l))).toHaveLength(1);
    const end = JSON.parse(lines.at(-1)!.replace(/^\d\d:\d\d:\d\dZ  execution succeeded: /, ''));
    expect(end).toEqual({ model: 'models:/penguins/7', accuracy: 0.97, accuracyThreshold: 0.9, endpoint: 'rookery-penguins' });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(JSON.parse(described.input!)).toEqual({ trigger: 'cli', accuracyThreshold: 0.9 });
  }, 90_000);

  it('exits 1 and says why when the model is below the threshold', async () => {
    const arn = await stateMachine(PASSING_TASKS(0.97));
    const run = await cli('pipeline', 'run', '--accuracy-threshold', '0.99', '--state-machine', arn, '--poll-seconds', '0.2');
    expect(run.code).toBe(1);
    expect(entered(run.stdout).slice(-3)).toEqual(['AccuracyGate', 'ExplainBelowThreshold', 'NotDeployedBelowThreshold']);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^\d\d:\d\d:\d\dZ  execution failed: ModelBelowThreshold: cross-validated accuracy 0\.97 is below the threshold 0\.99: the model was not registered and the endpoint was not changed$/,
    );
  }, 90_000);

  it('prints the failed task and the failure state when a job cannot run (the definition untouched)', async () => {
    const arn = await stateMachine();
    const run = await cli('pipeline', 'run', '--state-machine', arn, '--poll-seconds', '0.2');
    expect(run.code).toBe(1);
    expect(entered(run.stdout)).toEqual(['Defaults', 'Configure', 'ValidateInput', 'Train', 'TrainingFailed']);
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\dZ     Train failed: /m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d\d:\d\d:\d\dZ  execution failed: TrainingFailed/);
  }, 90_000);

  it('finds the state machine in the cdk outputs file, returns at once with --no-wait, and `pipeline watch` follows it', async () => {
    const arn = await stateMachine(PASSING_TASKS(0.95));
    const dir = mkdtempSync(join(tmpdir(), 'rookery-outputs-'));
    writeFileSync(join(dir, 'cdk-outputs.json'), JSON.stringify({ MlflowStack: { InstanceId: 'i-0abc' }, PipelineStack: { StateMachineArn: arn } }));
    const started = await runCli(['pipeline', 'run', '--no-wait', '--name', 'nightly-2024-06-01'], moto.server.env(), { cwd: dir });
    expect(started.code).toBe(0);
    const lines = started.stdout.trimEnd().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^started .*:execution:PipelineStateMachine:nightly-2024-06-01$/), expect.stringMatching(/^console: /)]);
    const watched = await cli('pipeline', 'watch', lines[0].slice('started '.length), '--poll-seconds', '0.2');
    expect(watched.code).toBe(0);
    expect(entered(watched.stdout)[0]).toBe('Defaults');
    expect(watched.stdout).toMatch(/execution succeeded: \{"model":"models:\/penguins\/7"/);
  }, 90_000);

  it("reports Step Functions' own answer for a state machine that does not exist", async () => {
    const missing = `arn:aws:states:${MOTO_REGION}:123456789012:stateMachine:missing`;
    const run = await cli('pipeline', 'run', '--state-machine', missing);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('rookery:'))).toEqual([expect.stringMatching(/^rookery: cannot start .*:missing: StateMachineDoesNotExist: /)]);
  });
});

describe('rookery pipeline run and watch: arguments', () => {
  const run = (...argv: string[]) => main(argv, commands, () => {});

  it('says what to do when it cannot tell which state machine, or the arguments are wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rookery-outputs-'));
    const arn = `arn:aws:states:${MOTO_REGION}:123456789012:stateMachine:PipelineStateMachine`;
    await expect(run('pipeline', 'run', '--outputs-file', join(dir, 'nope.json'))).rejects.toThrow(/no --state-machine ARN and no .*nope\.json: deploy with `npx cdk deploy PipelineStack --outputs-file/);
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ MlflowStack: { InstanceId: 'i-0abc' } }));
    await expect(run('pipeline', 'run', '--outputs-file', join(dir, 'other.json'))).rejects.toThrow(/has no PipelineStack.StateMachineArn output/);
    await expect(run('pipeline', 'run', '--state-machine', arn, '--accuracy-threshold', '1.5')).rejects.toThrow(/--accuracy-threshold "1.5" must be at most 1/);
    await expect(run('pipeline', 'run', '--state-machine', 'my-pipeline')).rejects.toThrow(/"my-pipeline" is not a state machine ARN/);
    await expect(run('pipeline', 'run', '--state-machine', arn, '--name', 'has space')).rejects.toThrow(/--name "has space" must be 1 to 80/);
    await expect(run('pipeline', 'watch')).rejects.toThrow(/give exactly one execution ARN/);
    await expect(run('pipeline', 'watch', arn)).rejects.toThrow(/is not an execution ARN/);
  });
});

describe('a Batch task that fails and is retried (what moto cannot run)', () => {
  // Events as Step Functions records a Batch job lost to a Spot interruption and retried; checked against the SDK's HistoryEvent shape.
  const at = (s: number) => 1717243200 + s;
  const task = { resourceType: 'batch', resource: 'submitJob.sync' };
  const spotLoss = JSON.stringify({ JobName: 'rookery-train', Status: 'FAILED', StatusReason: 'Host EC2 (instance i-0abc) terminated.', Container: { LogStreamName: 'trainjob/default/0f1e' } });
  const events = [
    { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Train', input: '{}' } },
    { type: 'TaskScheduled', taskScheduledEventDetails: { ...task, region: 'us-east-1', parameters: '{}' } },
    { type: 'TaskFailed', taskFailedEventDetails: { ...task, error: 'States.TaskFailed', cause: spotLoss } },
    { type: 'TaskScheduled', taskScheduledEventDetails: { ...task, region: 'us-east-1', parameters: '{}' } },
    { type: 'TaskSubmitted', taskSubmittedEventDetails: { ...task, output: JSON.stringify({ JobId: 'a1b2c3', JobName: 'rookery-train' }) } },
    { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Train', output: '{}' } },
  ].map((e, i) => ({ id: i + 1, previousEventId: i, timestamp: at(i * 7), ...e }));

  it('are events Step Functions can send', () => {
    for (const e of events) expect(shapeProblems(HistoryEvent$, e), e.type).toEqual([]);
  });

  it('print the failure with its cause, the retry and the job', () => {
    const lines: string[] = [];
    const printer = new HistoryPrinter((l) => lines.push(l));
    for (const e of events) printer.print({ ...e, timestamp: new Date(e.timestamp * 1000) } as never);
    expect(lines).toEqual([
      '12:00:00Z  -> Train',
      '12:00:14Z     Train failed: States.TaskFailed: job rookery-train FAILED: Host EC2 (instance i-0abc) terminated.; log stream trainjob/default/0f1e',
      '12:00:21Z     Train: retrying (attempt 2)',
      '12:00:28Z     Train: Batch job rookery-train a1b2c3',
      '12:00:35Z  <- Train (35s)',
    ]);
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
