/**
 * The synthesized training pipeline, validated with asl-validator and run
 * with aws-local-stepfunctions: every Task state is answered by a local
 * handler shaped like the real service's answer (Batch's DescribeJobs
 * record for submitJob.sync, S3's GetObject output).
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '../../stacks/pipeline-stack.ts';
import { ENDPOINT, RUNS_BUCKET, resolveDefinition, synthPipeline } from './definition.ts';

// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks.
(Promise as any).withResolvers ??= function () {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const { StateMachine, ExecutionError } = await import('aws-local-stepfunctions');

type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const EXECUTION = 'run-2024-06-01';
const PREFIX = `runs/${EXECUTION}`;

let definition: any;
beforeAll(() => {
  definition = resolveDefinition(synthPipeline().template);
});

/** A Task error the way Step Functions reports it: `Error` is the name Retry and Catch match. */
function taskError(name: string, cause: string): Error {
  const err = new Error(cause);
  err.name = name;
  return err;
}

function batchJob(name: string, status = 'SUCCEEDED') {
  return { JobId: `${name}-0001`, JobName: `rookery-${name.toLowerCase()}`, JobArn: `arn:aws:batch:us-east-1:123456789012:job/${name}-0001`, Status: status, Container: { ExitCode: 0 } };
}

function s3Json(value: unknown) {
  return { Body: JSON.stringify(value), ContentType: 'application/json', ContentLength: JSON.stringify(value).length };
}

interface Calls {
  [state: string]: any[];
}

/** Handlers for a run where every service answers; a test replaces the ones it needs to break. */
function services(calls: Calls, accuracy = 0.97, overrides: Record<string, (input: any) => unknown> = {}) {
  const record = (state: string, answer: (input: any) => unknown) => async (input: any) => {
    (calls[state] ??= []).push(input);
    return answer(input) as any;
  };
  const answers: Record<string, (input: any) => unknown> = {
    [STATES.train]: () => batchJob('Train'),
    [STATES.readTraining]: () =>
      s3Json({ name: 'penguins', accuracy, accuracyStd: 0.01, threshold: 0.9, passed: accuracy >= 0.9, runId: 'run-abc', registered: false, version: null, artifact: `s3://${RUNS_BUCKET}/${PREFIX}/model` }),
    [STATES.register]: () => batchJob('RegisterModel'),
    [STATES.readRegistration]: () => s3Json({ name: 'penguins', version: 7, alias: 'champion', runId: 'run-abc' }),
    [STATES.deploy]: () => batchJob('DeployToEndpoint'),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(answers).map(([state, answer]) => [state, record(state, answer)]));
}

async function run(input: Record<string, unknown>, handlers: Record<string, (input: any) => Promise<any>>) {
  // A fresh copy per run: the interpreter's States.JsonMerge merges into the
  // Pass state's Result object in place, which would leak between runs.
  const machine = new StateMachine(structuredClone(definition));
  const execution = machine.run(input as any, {
    context: { Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:pipeline:${EXECUTION}`, Name: EXECUTION, Input: input, StartTime: '2024-06-01T00:00:00Z' } } as any,
    overrides: {
      taskResourceLocalHandlers: handlers,
      // Keep the definition's retry policy, without its real pauses.
      retryIntervalOverrides: { [STATES.train]: 0, [STATES.readTraining]: 0, [STATES.register]: 0, [STATES.readRegistration]: 0, [STATES.deploy]: 0 },
    },
  });
  const events: any[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let output: unknown;
  let error: any;
  try {
    output = await execution.result;
  } catch (err) {
    error = err;
  }
  await collecting;
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.state.name);
  const failed = events.find((e) => e.type === 'ExecutionFailed');
  return { output, error, events, entered, failed };
}

describe('the synthesized pipeline definition', () => {
  it('is valid Amazon States Language', () => {
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('trains, reads the result, gates, registers, reads the registration and deploys, in that order', () => {
    const next = (name: string) => definition.States[name].Next;
    expect(definition.StartAt).toBe(STATES.defaults);
    expect(next(STATES.train)).toBe(STATES.readTraining);
    expect(next(STATES.readTraining)).toBe(STATES.gate);
    expect(definition.States[STATES.gate].Type).toBe('Choice');
    expect(next(STATES.register)).toBe(STATES.readRegistration);
    expect(next(STATES.readRegistration)).toBe(STATES.deploy);
    expect(next(STATES.deploy)).toBe(STATES.summarize);
    expect(definition.States[STATES.train].Resource).toBe('arn:aws:states:::batch:submitJob.sync');
    expect(definition.States[STATES.readTraining].Resource).toBe('arn:aws:states:::aws-sdk:s3:getObject');
  });

  it('retries Batch API errors with backoff everywhere, and failed jobs only where running them again is safe', () => {
    const retry = (name: string) => definition.States[name].Retry;
    for (const name of [STATES.train, STATES.register, STATES.deploy]) {
      expect(retry(name)[0]).toMatchObject({ ErrorEquals: ['Batch.AWSBatchException'], BackoffRate: 2, MaxAttempts: 3 });
      expect(definition.States[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: expect.any(String) }]);
    }
    expect(retry(STATES.train)[1]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1 });
    expect(retry(STATES.register)[1]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1 });
    expect(retry(STATES.deploy)).toHaveLength(1);
  });
});

describe('running the pipeline locally', () => {
  it('succeeds: the jobs get this execution’s S3 locations and the registered version is what gets deployed', async () => {
    const calls: Calls = {};
    const { output, error, entered } = await run({ accuracyThreshold: 0.9 }, services(calls));
    expect(error).toBeUndefined();
    expect(entered).toEqual([
      STATES.defaults, STATES.configure, STATES.validate,
      STATES.train, STATES.readTraining, STATES.gate,
      STATES.register, STATES.readRegistration, STATES.deploy,
      STATES.summarize, STATES.deployed,
    ]);
    expect(output).toEqual({ model: 'models:/penguins/7', accuracy: 0.97, accuracyThreshold: 0.9, endpoint: ENDPOINT });

    const train = calls[STATES.train][0];
    expect(train.JobQueue).toMatch(/^arn:aws:batch:us-east-1:123456789012:job-queue\//);
    expect(train.JobDefinition).toMatch(/job-definition\/TrainJob/);
    expect(train.Parameters).toEqual({
      accuracyThreshold: '0.9',
      artifactUri: `s3://${RUNS_BUCKET}/${PREFIX}/model`,
      resultUri: `s3://${RUNS_BUCKET}/${PREFIX}/training.json`,
    });
    expect(calls[STATES.readTraining][0]).toEqual({ Bucket: RUNS_BUCKET, Key: `${PREFIX}/training.json` });
    expect(calls[STATES.register][0].Parameters).toEqual({
      trainingResultUri: `s3://${RUNS_BUCKET}/${PREFIX}/training.json`,
      resultUri: `s3://${RUNS_BUCKET}/${PREFIX}/registration.json`,
    });
    expect(calls[STATES.readRegistration][0]).toEqual({ Bucket: RUNS_BUCKET, Key: `${PREFIX}/registration.json` });
    expect(calls[STATES.deploy][0].Parameters).toEqual({ modelRef: 'models:/penguins/7' });
  });

  it('takes the stack’s default threshold when the input has none (scheduled and drift-triggered runs)', async () => {
    const calls: Calls = {};
    const { error } = await run({ trigger: 'schedule' }, services(calls, 0.75));
    expect(error).toBeUndefined();
    expect(calls[STATES.train][0].Parameters.accuracyThreshold).toBe('0.7');
    expect(calls[STATES.deploy]).toHaveLength(1);
  });

  it('ends in a Fail state naming both figures when the accuracy is below the threshold, and registers and deploys nothing', async () => {
    const calls: Calls = {};
    const { error, entered, failed } = await run({ accuracyThreshold: 0.99 }, services(calls, 0.97));
    expect(error).toBeInstanceOf(ExecutionError);
    expect(entered.slice(-3)).toEqual([STATES.gate, STATES.explainBelowThreshold, STATES.belowThreshold]);
    expect(failed.Error).toBe('ModelBelowThreshold');
    expect(failed.Cause).toBe('cross-validated accuracy 0.97 is below the threshold 0.99: the model was not registered and the endpoint was not changed');
    expect(calls[STATES.register]).toBeUndefined();
    expect(calls[STATES.deploy]).toBeUndefined();
  });

  it('passes a model exactly at the threshold', async () => {
    const calls: Calls = {};
    const { error } = await run({ accuracyThreshold: 0.97 }, services(calls, 0.97));
    expect(error).toBeUndefined();
    expect(calls[STATES.deploy]).toHaveLength(1);
  });

  it('retries a Batch failure and carries on when the retry succeeds', async () => {
    const calls: Calls = {};
    let attempts = 0;
    const handlers = services(calls, 0.97, {
      [STATES.train]: () => {
        attempts++;
        if (attempts === 1) throw taskError('Batch.AWSBatchException', 'Too many requests (Service: Batch, Status Code: 429)');
        if (attempts === 2) throw taskError('States.TaskFailed', JSON.stringify({ JobName: 'rookery-train', Status: 'FAILED', StatusReason: 'Host EC2 (instance i-0abc) terminated.' }));
        return batchJob('Train');
      },
    });
    const { error, events, entered } = await run({ accuracyThreshold: 0.9 }, handlers);
    expect(error).toBeUndefined();
    expect(attempts).toBe(3);
    expect(events.filter((e) => e.type === 'StateRetried').map((e) => e.state.name)).toEqual([STATES.train, STATES.train]);
    expect(entered.at(-1)).toBe(STATES.deployed);
  });

  it('ends in TrainingFailed with the job’s own failure as the cause once the retries are spent', async () => {
    const cause = JSON.stringify({ JobName: 'rookery-train', Status: 'FAILED', StatusReason: 'Essential container in task exited', Container: { ExitCode: 1, LogStreamName: 'trainjob/default/abc' } });
    let attempts = 0;
    const { error, failed, entered } = await run(
      { accuracyThreshold: 0.9 },
      services({}, 0.97, {
        [STATES.train]: () => {
          attempts++;
          throw taskError('States.TaskFailed', cause);
        },
      }),
    );
    expect(error).toBeInstanceOf(ExecutionError);
    expect(attempts).toBe(2);
    expect(entered.at(-1)).toBe(STATES.trainingFailed);
    expect(failed).toMatchObject({ Error: 'TrainingFailed', Cause: cause });
  });

  it('does not run a failed deployment again: the guarded update has rolled back, and the execution fails with its cause', async () => {
    const cause = 'deploy sagemaker: endpoint rookery-penguins rolled back to its previous configuration: alarm rookery-penguins-5xx fired while baking';
    let attempts = 0;
    const { failed, entered } = await run(
      { accuracyThreshold: 0.9 },
      services({}, 0.97, {
        [STATES.deploy]: () => {
          attempts++;
          throw taskError('States.TaskFailed', cause);
        },
      }),
    );
    expect(attempts).toBe(1);
    expect(entered.at(-1)).toBe(STATES.deploymentFailed);
    expect(failed).toMatchObject({ Error: 'DeploymentFailed', Cause: cause });
  });

  it('fails as TrainingFailed when the job wrote no result', async () => {
    let reads = 0;
    const { failed } = await run(
      { accuracyThreshold: 0.9 },
      services({}, 0.97, {
        [STATES.readTraining]: () => {
          reads++;
          throw taskError('S3.NoSuchKeyException', 'The specified key does not exist. (Service: S3, Status Code: 404)');
        },
      }),
    );
    expect(reads).toBe(1);
    expect(failed).toMatchObject({ Error: 'TrainingFailed', Cause: expect.stringContaining('does not exist') });
  });

  it('fails as TrainingResultInvalid when the result has no numeric accuracy', async () => {
    const { failed, entered } = await run({ accuracyThreshold: 0.9 }, services({}, 0.97, { [STATES.readTraining]: () => s3Json({ accuracy: 'high' }) }));
    expect(entered.at(-1)).toBe(STATES.invalidResult);
    expect(failed.Error).toBe('TrainingResultInvalid');
  });

  it('rejects a threshold outside 0..1 before starting any job', async () => {
    const calls: Calls = {};
    for (const accuracyThreshold of [1.5, -0.1, '0.9']) {
      const { failed } = await run({ accuracyThreshold }, services(calls));
      expect(failed.Error).toBe('InvalidInput');
    }
    expect(calls[STATES.train]).toBeUndefined();
  });
});
