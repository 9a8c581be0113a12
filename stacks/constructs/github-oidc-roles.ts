import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeResource } from '../support/nag.ts';

/** GitHub Actions' OIDC issuer: the `iss` of every workflow's token, and the provider's URL. */
export const GITHUB_OIDC_ISSUER = 'token.actions.githubusercontent.com';
/** The audience aws-actions/configure-aws-credentials asks GitHub for. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/** The qualifier `cdk bootstrap` names its roles with unless told otherwise. */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';
/** What `rookery pipeline run` and `rookery pipeline watch` call on executions (scripts/pipeline/execution.ts). */
export const EXECUTION_ACTIONS = ['states:GetExecutionHistory'];

/** The bucket holding the endpoint's captures and labels, which `rookery monitor --datastore s3://… --ground-truth s3://…` reads. */
export interface MonitoredData {
  readonly bucket: s3.IBucket;
  /** The bucket's encryption key: reading an object decrypts it. */
  readonly key: kms.IKey;
  /** Key prefixes (no slashes at either end) the ops role may list and read, e.g. `capture` and `ground-truth`. */
  readonly prefixes: readonly string[];
}

export interface GithubOidcRolesProps {
  /** `OWNER/NAME` exactly as GitHub spells it: IAM compares the token's subject case-sensitively. */
  readonly repository: string;
  /** The GitHub environment whose jobs may deploy (subject `repo:OWNER/NAME:environment:ENV`). */
  readonly environment: string;
  /** The branch whose runs may train and monitor (subject `repo:OWNER/NAME:ref:refs/heads/BRANCH`). */
  readonly branch: string;
  /** The training pipeline the ops role starts and watches. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * What the ops role may read for monitoring.
   * @default no S3 or KMS permission
   */
  readonly monitoredData?: MonitoredData;
  /**
   * Qualifier of the CDK bootstrap roles the deploy role may assume (`cdk bootstrap --qualifier`).
   * @default 'hnb659fds', CDK's own default
   */
  readonly bootstrapQualifier?: string;
  /**
   * Longest session either role grants.
   * @default one hour
   */
  readonly maxSessionDuration?: Duration;
}

/**
 * GitHub's OIDC identity provider and two roles that workflows of one
 * repository assume without any stored key: a deploy role, trusted only for
 * jobs in one GitHub environment, that may only assume the CDK bootstrap
 * roles (which `cdk deploy` then uses), and an ops role, trusted only for runs
 * on one branch, that may start and watch the training pipeline and read the
 * endpoint's captures and labels.
 *
 * Each trust is StringEquals on the token's audience and on one exact
 * subject: a fork, another repository, another branch or a job outside the
 * environment presents a different `sub` and cannot assume either role.
 */
export class GithubOidcRoles extends Construct {
  readonly provider: iam.OidcProviderNative;
  readonly deployRole: iam.Role;
  readonly opsRole: iam.Role;

  constructor(scope: Construct, id: string, props: GithubOidcRolesProps) {
    super(scope, id);
    const { repository } = props;
    // The L1-backed provider: IAM fetches the certificate thumbprint itself, so no custom-resource Lambda.
    this.provider = new iam.OidcProviderNative(this, 'Provider', { url: `https://${GITHUB_OIDC_ISSUER}`, clientIds: [GITHUB_OIDC_AUDIENCE] });
    const maxSessionDuration = props.maxSessionDuration ?? Duration.hours(1);
    const role = (roleId: string, subject: string, description: string) =>
      new iam.Role(this, roleId, { assumedBy: this.trustOnly(subject), description, maxSessionDuration });

    this.deployRole = role('DeployRole', `repo:${repository}:environment:${props.environment}`, `GitHub Actions of ${repository} in environment ${props.environment}: cdk deploy through the CDK bootstrap roles`);
    this.opsRole = role('OpsRole', `repo:${repository}:ref:refs/heads/${props.branch}`, `GitHub Actions of ${repository} on branch ${props.branch}: start and watch the training pipeline, read captures for monitoring`);
    this.grantBootstrapRoles(props.bootstrapQualifier ?? DEFAULT_BOOTSTRAP_QUALIFIER);
    this.grantPipeline(props.stateMachine);
    if (props.monitoredData) this.grantMonitoredData(props.monitoredData);
  }

  /** Web-identity trust for exactly one subject: no StringLike, no wildcard. */
  private trustOnly(subject: string): iam.IPrincipal {
    return new iam.OpenIdConnectPrincipal(this.provider, {
      StringEquals: { [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_ISSUER}:sub`]: subject },
    });
  }

  /** `cdk deploy` assumes the deploy, file-publishing, image-publishing and lookup roles `cdk bootstrap` made; they hold the real permissions. */
  private grantBootstrapRoles(qualifier: string): void {
    const stack = Stack.of(this);
    const bootstrapRoles = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `cdk-${qualifier}-*-${stack.account}-${stack.region}` });
    this.deployRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [bootstrapRoles] }));
    acknowledgeResource(this.deployRole, 'AwsSolutions-IAM5', bootstrapRoles,
      'The wildcard stands for the role kind (deploy, file-publishing, image-publishing, lookup) of the CDK bootstrap roles of this account and region: `cdk deploy` assumes each of them, and they, not this role, carry the deployment permissions.');
  }

  private grantPipeline(stateMachine: sfn.IStateMachine): void {
    const stack = Stack.of(this);
    const name = stack.splitArn(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    const executions = stack.formatArn({ service: 'states', resource: 'execution', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: `${name}:*` });
    this.opsRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }));
    this.opsRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: EXECUTION_ACTIONS, resources: [executions] }));
    acknowledgeResource(this.opsRole, 'AwsSolutions-IAM5', executions,
      'Execution ARNs exist only once `rookery pipeline run` has started one; the wildcard is limited to executions of the one training state machine, and the only action on them is reading their history.');
  }

  /** ListObjectsV2 and GetObject under the given prefixes, and the key to decrypt them through S3 only. */
  private grantMonitoredData({ bucket, key, prefixes }: MonitoredData): void {
    const objects = prefixes.map((prefix) => bucket.arnForObjects(`${prefix}/*`));
    this.opsRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}/*`) } } }),
    );
    this.opsRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects }));
    this.opsRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn], conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } } }),
    );
    for (const resource of objects) {
      acknowledgeResource(this.opsRole, 'AwsSolutions-IAM5', resource,
        'SageMaker Data Capture and `rookery label` write one object per hour and batch under this prefix at run time; `rookery monitor` lists and reads them, only under this prefix of the endpoint\'s bucket.');
    }
  }
}
