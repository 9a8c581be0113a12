import { CfnOutput, Validations, type StackProps } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { GithubConfig } from './config.ts';
import { GithubOidcRoles, type MonitoredData } from './constructs/github-oidc-roles.ts';
import { RookeryStack } from './support/logical-ids.ts';

export interface CicdStackProps extends StackProps {
  /** The repository, environment and branch the roles trust. */
  readonly github: GithubConfig;
  /** PipelineStack's state machine, which the ops role starts and watches. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * EndpointStack's bucket, key and the capture and ground-truth prefixes `rookery monitor` reads.
   * @default none: the ops role gets no S3 or KMS permission (EndpointStack has no model yet)
   */
  readonly monitoredData?: MonitoredData;
}

/**
 * Keyless access for GitHub Actions (`-c githubRepository=OWNER/NAME`):
 * GitHub's OIDC provider and the two roles the workflows assume with
 * aws-actions/configure-aws-credentials. Its outputs are the repository
 * variables AWS_DEPLOY_ROLE_ARN and AWS_OPS_ROLE_ARN.
 */
export class CicdStack extends RookeryStack {
  readonly roles: GithubOidcRoles;

  constructor(scope: Construct, id: string, props: CicdStackProps) {
    super(scope, id, props);
    const { github } = props;
    this.roles = new GithubOidcRoles(this, 'GithubOidcRoles', {
      repository: github.repository,
      environment: github.environment,
      branch: github.branch,
      stateMachine: props.stateMachine,
      ...(props.monitoredData ? { monitoredData: props.monitoredData } : {}),
    });
    new CfnOutput(this, 'DeployRoleArn', {
      value: this.roles.deployRole.roleArn,
      description: `Repository variable AWS_DEPLOY_ROLE_ARN: deploy.yml's role, for jobs of ${github.repository} in environment ${github.environment}`,
    });
    new CfnOutput(this, 'OpsRoleArn', {
      value: this.roles.opsRole.roleArn,
      description: `Repository variable AWS_OPS_ROLE_ARN: train.yml's and monitor.yml's role, for runs of ${github.repository} on ${github.branch}`,
    });
    Validations.of(this).acknowledge({
      id: 'Annotation::@aws-cdk/core:crossStackReferencesDefaultStrong',
      reason: 'Strong references are intended: PipelineStack and EndpointStack cannot lose the state machine, bucket or key while the roles name them; `cdk destroy --all` removes CicdStack first.',
    });
  }
}
