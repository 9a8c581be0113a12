import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { GroupingConstruct } from '../support/logical-ids.ts';
import type { RookeryBatchJob } from './batch-job.ts';

/** Names of the state machine's states, for the stack's tests and `rookery pipeline run` output. */
export const STATES = {
  defaults: 'Defaults',
  configure: 'Configure',
  validate: 'ValidateInput',
  train: 'Train',
  readTraining: 'ReadTrainingResult',
  gate: 'AccuracyGate',
  register: 'RegisterModel',
  readRegistration: 'ReadRegistration',
  deploy: 'DeployToEndpoint',
  summarize: 'Summarize',
  deployed: 'Deployed',
  invalidInput: 'InvalidInput',
  trainingFailed: 'TrainingFailed',
  invalidResult: 'TrainingResultInvalid',
  explainBelowThreshold: 'ExplainBelowThreshold',
  belowThreshold: 'NotDeployedBelowThreshold',
  registrationFailed: 'RegistrationFailed',
  deploymentFailed: 'DeploymentFailed',
} as const;

export interface TrainingStateMachineProps {
  /** The three steps' Batch jobs: `train --no-register`, `models register`, `deploy sagemaker`. */
  readonly jobs: { readonly train: RookeryBatchJob; readonly register: RookeryBatchJob; readonly deploy: RookeryBatchJob };
  readonly jobQueue: batch.IJobQueue;
  /** Each execution writes its step results under `runs/<execution name>/` of this bucket. */
  readonly bucket: s3.IBucket;
  /** Used when an execution's input gives no accuracyThreshold. */
  readonly accuracyThreshold: number;
  /** The endpoint a passing model is deployed to (named in the summary). */
  readonly endpointName: string;
  /** Whole-execution limit. */
  readonly timeoutMinutes: number;
  /** Retention of the execution log. */
  readonly logRetentionDays: number;
  /**
   * Encrypts the execution log group; its policy must let CloudWatch Logs use it.
   * @default CloudWatch Logs' own encryption
   */
  readonly logKey?: kms.IKey;
}

/** Where an execution stops when a step fails, each with its error name. */
interface FailureStates {
  invalidInput: sfn.Fail;
  trainingFailed: sfn.Fail;
  registrationFailed: sfn.Fail;
  deploymentFailed: sfn.Fail;
  invalidResult: sfn.Fail;
  belowThreshold: sfn.IChainable;
}

// The job definitions carry the time limits (Batch stops a job at its
// timeout); the state machine's own timeout bounds the whole run.
// Submitting can be throttled or hit a Batch hiccup: always retry that.
// A job that ran and failed is retried once where running it again is
// safe (training, registration); never for deployment, whose guarded
// update has already rolled back by the time the job fails. Any other
// failure goes to the job's Fail path with the error at $.error.
const RETRY_SUBMIT = { errors: ['Batch.AWSBatchException'], interval: Duration.seconds(10), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL };
const RETRY_JOB = { errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(30), maxAttempts: 1, backoffRate: 2 };
const CATCH_ALL = { errors: [sfn.Errors.ALL], resultPath: '$.error' };

const runUri = (file: string) => sfn.JsonPath.format(`s3://{}/{}/${file}`, sfn.JsonPath.stringAt('$.run.bucket'), sfn.JsonPath.stringAt('$.run.prefix'));

/**
 * The training pipeline's Step Functions state machine: fills in defaults,
 * validates the input, trains, reads the result, gates on accuracy,
 * registers and moves the alias in MLflow, and deploys with the guarded update.
 */
export class TrainingStateMachine extends GroupingConstruct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, private readonly props: TrainingStateMachineProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      ...(props.logKey ? { encryptionKey: props.logKey } : {}),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'rookery: train -> read result -> accuracy gate -> register + alias in MLflow -> guarded SageMaker deploy',
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition()),
      timeout: Duration.minutes(props.timeoutMinutes),
      tracingEnabled: true,
      // Execution data is logged: secrets never pass through the state
      // machine (ECS injects them into the containers), and the step inputs
      // and outputs are what an operator needs to debug a run.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Step Functions stops the job when an execution is stopped or times out,
    // and reads its status; job ids exist only at run time.
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }));
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' })] }),
    );
  }

  private definition(): sfn.IChainable {
    const { jobs, accuracyThreshold, endpointName } = this.props;
    // Input: {"accuracyThreshold"?: number}; anything missing takes the stack's default.
    const defaults = new sfn.Pass(this, STATES.defaults, {
      result: sfn.Result.fromObject({ accuracyThreshold }),
      resultPath: '$.defaults',
    });
    const configure = new sfn.Pass(this, STATES.configure, {
      parameters: {
        config: sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.defaults'), sfn.JsonPath.objectAt('$$.Execution.Input')),
        run: { bucket: this.props.bucket.bucketName, prefix: sfn.JsonPath.format('runs/{}', sfn.JsonPath.executionName) },
      },
    });
    const fail = this.failureStates();

    const trainJob = this.batchJob(
      STATES.train,
      jobs.train,
      { accuracyThreshold: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.config.accuracyThreshold')), artifactUri: runUri('model'), resultUri: runUri('training.json') },
      fail.trainingFailed,
      true,
    );
    const readTraining = this.readJson(STATES.readTraining, 'training.json', '$.training').addCatch(fail.trainingFailed, CATCH_ALL);
    const registerJob = this.batchJob(STATES.register, jobs.register, { trainingResultUri: runUri('training.json'), resultUri: runUri('registration.json') }, fail.registrationFailed, true);
    const readRegistration = this.readJson(STATES.readRegistration, 'registration.json', '$.registration').addCatch(fail.registrationFailed, CATCH_ALL);

    const modelRef = sfn.JsonPath.format('models:/{}/{}', sfn.JsonPath.stringAt('$.registration.result.name'), sfn.JsonPath.stringAt('$.registration.result.version'));
    const deployJob = this.batchJob(STATES.deploy, jobs.deploy, { modelRef }, fail.deploymentFailed, false);
    const summarize = new sfn.Pass(this, STATES.summarize, {
      parameters: { model: modelRef, 'accuracy.$': '$.training.result.accuracy', 'accuracyThreshold.$': '$.config.accuracyThreshold', endpoint: endpointName },
    });

    const accuracy = '$.training.result.accuracy';
    const gate = new sfn.Choice(this, STATES.gate, { comment: 'Register and deploy only a model at least as accurate as the threshold' })
      .when(sfn.Condition.not(sfn.Condition.and(sfn.Condition.isPresent(accuracy), sfn.Condition.isNumeric(accuracy))), fail.invalidResult)
      .when(sfn.Condition.numberGreaterThanEqualsJsonPath(accuracy, '$.config.accuracyThreshold'), registerJob)
      .otherwise(fail.belowThreshold);
    registerJob.next(readRegistration).next(deployJob).next(summarize).next(new sfn.Succeed(this, STATES.deployed));

    const threshold = '$.config.accuracyThreshold';
    const validate = new sfn.Choice(this, STATES.validate)
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent(threshold),
          sfn.Condition.isNumeric(threshold),
          sfn.Condition.numberGreaterThanEquals(threshold, 0),
          sfn.Condition.numberLessThanEquals(threshold, 1),
        ),
        trainJob.next(readTraining).next(gate),
      )
      .otherwise(fail.invalidInput);
    return defaults.next(configure).next(validate);
  }

  private failureStates(): FailureStates {
    const failed = (id: string, error: string) => new sfn.Fail(this, id, { error, causePath: '$.error.Cause' });
    const invalidInput = new sfn.Fail(this, STATES.invalidInput, {
      error: 'InvalidInput',
      cause: 'accuracyThreshold must be a number from 0 to 1, e.g. {"accuracyThreshold": 0.9}',
    });
    const trainingFailed = failed(STATES.trainingFailed, 'TrainingFailed');
    const registrationFailed = failed(STATES.registrationFailed, 'RegistrationFailed');
    const deploymentFailed = failed(STATES.deploymentFailed, 'DeploymentFailed');
    const invalidResult = new sfn.Fail(this, STATES.invalidResult, {
      error: 'TrainingResultInvalid',
      cause: 'the training job wrote a result without a numeric "accuracy"',
    });
    // Below the threshold is a failed execution, as `rookery train` exits 1:
    // the endpoint keeps serving the current champion, and the execution's
    // status (and ExecutionsFailed) tells whoever scheduled it.
    // The cause is formatted in a Pass state rather than in CausePath, so
    // the definition also runs on interpreters without intrinsics there.
    const belowThreshold = new sfn.Pass(this, STATES.explainBelowThreshold, {
      parameters: {
        Cause: sfn.JsonPath.format(
          'cross-validated accuracy {} is below the threshold {}: the model was not registered and the endpoint was not changed',
          sfn.JsonPath.stringAt('$.training.result.accuracy'),
          sfn.JsonPath.stringAt('$.config.accuracyThreshold'),
        ),
      },
      resultPath: '$.error',
    }).next(failed(STATES.belowThreshold, 'ModelBelowThreshold'));
    return { invalidInput, trainingFailed, registrationFailed, deploymentFailed, invalidResult, belowThreshold };
  }

  private batchJob(id: string, job: RookeryBatchJob, payload: Record<string, string>, onFailure: sfn.IChainable, rerunOnce: boolean): sfn.TaskStateBase {
    const submit = new tasks.BatchSubmitJob(this, id, {
      jobName: `rookery-${id.toLowerCase()}`,
      jobQueueArn: this.props.jobQueue.jobQueueArn,
      jobDefinitionArn: job.definition.jobDefinitionArn,
      payload: sfn.TaskInput.fromObject(payload),
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      resultSelector: { 'jobId.$': '$.JobId', 'jobName.$': '$.JobName', 'status.$': '$.Status' },
      resultPath: `$.jobs.${id}`,
    }).addRetry(RETRY_SUBMIT);
    return (rerunOnce ? submit.addRetry(RETRY_JOB) : submit).addCatch(onFailure, CATCH_ALL);
  }

  private readJson(id: string, file: string, resultPath: string): sfn.TaskStateBase {
    const { bucket } = this.props;
    return new tasks.CallAwsService(this, id, {
      service: 's3',
      action: 'getObject',
      parameters: { Bucket: bucket.bucketName, Key: sfn.JsonPath.format(`{}/${file}`, sfn.JsonPath.stringAt('$.run.prefix')) },
      iamResources: [bucket.arnForObjects('runs/*')],
      resultSelector: { 'result.$': 'States.StringToJson($.Body)' },
      resultPath,
    }).addRetry({ errors: ['S3.S3Exception', 'S3.SdkClientException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  }
}
