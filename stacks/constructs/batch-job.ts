import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { LogDriver } from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { JobResources } from '../config.ts';

export interface BatchJobProps {
  readonly image: ecs.ContainerImage;
  /** Pulls the image, writes the logs and reads the secrets; shared by the jobs of a stack. */
  readonly executionRole: iam.IRole;
  /** Arguments after the image's entry (`node /app/rookery.mjs`); `Ref::name` placeholders are filled from `parameters`. */
  readonly command: string[];
  /**
   * Defaults for the `Ref::` placeholders; a SubmitJob call (e.g. from Step Functions) overrides them.
   * @default none
   */
  readonly parameters?: Record<string, string>;
  /** @default none */
  readonly environment?: Record<string, string>;
  /**
   * Injected by ECS from Secrets Manager when the container starts; never in the template.
   * @default none
   */
  readonly secrets?: Record<string, batch.Secret>;
  readonly resources: JobResources;
  readonly logRetentionDays: number;
  /**
   * Encrypts the job's log group; its policy must let CloudWatch Logs use it.
   * @default CloudWatch Logs' own encryption
   */
  readonly logKey?: kms.IKey;
  /** Fargate tasks in public subnets need a public IP to reach ECR and AWS APIs without a NAT gateway. */
  readonly assignPublicIp: boolean;
}

/**
 * One `rookery <command>` as an AWS Batch job on Fargate: its job definition,
 * its own job role (so each step gets only its own permissions) and its own
 * log group, all removed with the stack.
 */
export class RookeryBatchJob extends Construct {
  readonly definition: batch.EcsJobDefinition;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BatchJobProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      ...(props.logKey ? { encryptionKey: props.logKey } : {}),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `rookery ${props.command.filter((a) => !a.startsWith('-') && !a.startsWith('Ref::')).slice(0, 2).join(' ')} job`,
    });
    const container = new batch.EcsFargateContainerDefinition(this, 'Container', {
      image: props.image,
      command: props.command,
      cpu: props.resources.vcpus,
      memory: Size.mebibytes(props.resources.memoryMiB),
      environment: props.environment,
      secrets: props.secrets,
      jobRole: this.role,
      executionRole: props.executionRole,
      assignPublicIp: props.assignPublicIp,
      logging: LogDriver.awsLogs({ logGroup: this.logGroup, streamPrefix: id.toLowerCase() }),
    });
    this.definition = new batch.EcsJobDefinition(this, 'Definition', {
      container,
      parameters: props.parameters,
      timeout: Duration.minutes(props.resources.timeoutMinutes),
      // Batch retries only what the infrastructure broke; a failing command
      // exits the job, and the state machine decides whether to try again.
      retryAttempts: 3,
      retryStrategies: [
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.CANNOT_PULL_CONTAINER),
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onReason: '*' })),
      ],
      propagateTags: true,
    });
    this.definition.applyRemovalPolicy(RemovalPolicy.DESTROY);
  }
}
