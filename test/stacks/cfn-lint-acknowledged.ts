// The one place cfn-lint warnings are acknowledged: each entry names the rule,
// the stack and the resources it covers, and why the warning stays. A finding
// none of these covers fails test/stacks/cfn-lint.test.ts, and so does an
// entry that no longer matches any finding in any context variant.

export interface CfnLintAcknowledgement {
  /** The cfn-lint rule id, e.g. W3005. */
  readonly rule: string;
  /** The stack whose template holds the finding. */
  readonly stack: string;
  /** The logical id of the resource the finding is on (its path's second element). */
  readonly resource: RegExp;
  readonly reason: string;
}

export const CFN_LINT_ACKNOWLEDGED: readonly CfnLintAcknowledgement[] = [
  ...['EndpointStack', 'MlflowStack', 'PipelineStack'].map((stack) => ({
    rule: 'W3005',
    stack,
    resource: /^CustomS3AutoDeleteObjectsCustomResourceProviderHandler[0-9A-F]{8}$/,
    reason:
      'aws-cdk-lib writes this Lambda (the autoDeleteObjects provider of a bucket destroyed with its stack) with a DependsOn on its role that the GetAtt of the role already implies; it is CDK’s own resource, the redundancy is harmless, and we do not patch framework resources.',
  })),
  {
    rule: 'W3005',
    stack: 'PipelineStack',
    resource: /^(StateMachine2E01A3A5|BatchScoringStateMachineDF66E104)$/,
    reason:
      'aws-cdk-lib’s StateMachine depends on its role construct so that the role’s DefaultPolicy exists before the first execution; that also lists the role, which the RoleArn GetAtt already implies. Harmless, and inside the framework construct.',
  },
  {
    rule: 'W3691',
    stack: 'MlflowStack',
    resource: /^DatabaseB269D8BB$/,
    reason:
      '-c mlflowBackend=postgres: EngineVersion "17" (PostgresEngineVersion.VER_17) is the bare major version, with which RDS creates the current default 17.x minor and keeps it upgraded. cfn-lint 1.51.0’s deprecation list holds every bare major ("15", "16", "17") next to the deprecated minors, so it flags it; pinning a minor would only make the template go stale.',
  },
];
