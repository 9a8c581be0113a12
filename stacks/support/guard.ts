import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Validations, type App, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The plugin's name, which CDK makes the namespace of its rule ids (`cdk-validator-cfnguard::<rule>`). */
export const GUARD_PLUGIN = 'cdk-validator-cfnguard';

export interface GuardAcknowledgement {
  /** The Control Tower control, as the finding's description starts: `[CT.S3.PR.9]`. */
  readonly control: string;
  /** The cfn-guard rule that reports it. */
  readonly rule: string;
  /** Construct paths the finding is acknowledged on (it covers the resources below each). */
  readonly paths: readonly string[];
  /** Why it stays, and what fixing it would cost. */
  readonly reason: string;
}

const AUTO_DELETE_PROVIDERS = ['EndpointStack', 'MlflowStack', 'PipelineStack'].map((s) => `${s}/Custom::S3AutoDeleteObjectsCustomResourceProvider`);
const DATA_BUCKETS = ['EndpointStack/DataBucket', 'EndpointStack/AccessLogs', 'MlflowStack/Artifacts', 'PipelineStack/RunsBucket'];
const MLFLOW_DATABASE = 'MlflowStack/Database';

export interface GuardDisabledRule {
  /** The rule file's name in the package (rules/control-tower/cfn-guard/<service>/<file>.guard). */
  readonly file: string;
  readonly control: string;
  readonly rule: string;
  readonly reason: string;
}

/** Rules switched off for the whole app: only where a finding cannot be acknowledged on a construct. */
export const GUARD_DISABLED: readonly GuardDisabledRule[] = [
  {
    file: 'ct-rds-pr-14',
    control: 'CT.RDS.PR.14',
    rule: 'rds_instance_logging_enabled_check',
    reason:
      '-c mlflowBackend=postgres: exported PostgreSQL logs go to log groups RDS creates outside the stack, which never expire and outlive `cdk destroy` (a retention in the stack needs aws-cdk-lib’s LogRetention Lambda, with findings of its own); MLflow’s own log is on the instance. cfn-guard 3.1.1 also reports this rule a second time with no resource, which no construct acknowledgement can reach.',
  },
];

/** The one place cfn-guard findings are acknowledged; test/stacks/guard.test.ts fails on one no variant needs. */
export const GUARD_ACKNOWLEDGED: readonly GuardAcknowledgement[] = [
  {
    control: 'CT.CLOUDWATCH.PR.1',
    rule: 'cloudwatch_alarm_action_check',
    paths: ['EndpointStack/SageMakerEndpoint/Invocation5xxAlarm', 'EndpointStack/SageMakerEndpoint/ModelLatencyAlarm', 'PipelineStack/DriftMonitor/DriftAlarm'],
    reason:
      'The alarms are read, not sent: SageMaker’s deployment guardrails roll an update back while an endpoint alarm is in ALARM, and an EventBridge rule on the drift alarm’s state starts retraining. An SNS action would need a subscriber the toolkit has no address for.',
  },
  {
    control: 'CT.LAMBDA.PR.3',
    rule: 'lambda_inside_vpc_check',
    paths: AUTO_DELETE_PROVIDERS,
    reason:
      'aws-cdk-lib’s autoDeleteObjects provider (it empties a bucket on `cdk destroy`) is a framework Lambda with no VPC setting; in a VPC it would need a NAT gateway or an S3 endpoint to reach S3 at all.',
  },
  {
    control: 'CT.S3.PR.9',
    rule: 's3_bucket_object_lock_enabled_check',
    paths: DATA_BUCKETS,
    reason:
      'Object Lock keeps every object version until its retention ends, so `cdk destroy` (and autoDeleteObjects) could not empty the bucket: a torn-down deployment would leave billed buckets behind. Versioning already keeps overwritten objects for 30 days.',
  },
  {
    control: 'CT.S3.PR.4',
    rule: 's3_event_notifications_enabled_check',
    paths: DATA_BUCKETS,
    reason:
      'Nothing consumes object events: the monitoring job reads captures on its schedule. aws-cdk-lib configures notifications through another custom-resource Lambda, which would add its own role and findings for no reader.',
  },
  {
    control: 'CT.S3.PR.10',
    rule: 's3_bucket_default_encryption_kms_check',
    paths: ['EndpointStack/AccessLogs', 'MlflowStack/Artifacts', 'PipelineStack/RunsBucket'],
    reason:
      'SSE-S3 encrypts these at rest. S3 delivers server access logs only to an SSE-S3 bucket; MLflow’s artifacts and the pipeline’s step results are read by roles of their own stack only, and a customer key would add $1 a month and a KMS grant to every reader (the server, each job, the state machine) without another reader to keep out.',
  },
  {
    control: 'CT.S3.PR.2',
    rule: 's3_bucket_logging_enabled_check',
    paths: ['EndpointStack/AccessLogs', 'MlflowStack/Artifacts', 'PipelineStack/RunsBucket'],
    reason:
      'Access logs are kept where outsiders’ data is, the endpoint’s captures (EndpointStack/DataBucket logs into EndpointStack/AccessLogs, which cannot log itself). MLflow’s bucket is reached only through the MLflow server, whose request log records each access; the runs bucket only by the pipeline’s own jobs. A log bucket per stack would add cost and a bucket to empty on teardown.',
  },
  {
    control: 'CT.EC2.PR.11',
    rule: 'subnet_auto_assign_public_ip_disabled_check',
    paths: ['MlflowStack/Vpc/publicSubnet1', 'MlflowStack/Vpc/publicSubnet2'],
    reason:
      'Public subnets by design: the MLflow host and the Fargate jobs reach the AWS APIs and PyPI through the internet gateway instead of a NAT gateway (about $32 a month each); their security groups admit no inbound traffic unless mlflowAllowedCidr names a range.',
  },
  {
    control: 'CT.EC2.PR.8',
    rule: 'ec2_instance_no_public_ip_check',
    paths: ['MlflowStack/MlflowServer/Server'],
    reason:
      'The MLflow host’s public IP is its way out (no NAT gateway) and, with -c mlflowAllowedCidr, the way in from that range only; without it the security group has no inbound rule and users reach it through SSM port forwarding.',
  },
  {
    control: 'CT.EC2.PR.13',
    rule: 'ec2_instance_detailed_monitoring_enabled_check',
    paths: ['MlflowStack/MlflowServer/Server'],
    reason:
      'One-minute EC2 metrics cost about $2 a month for a development tracking server that nothing alarms on; -c mlflowDetailedMonitoring=true turns them on (and this finding off).',
  },
  {
    control: 'CT.EC2.PR.10',
    rule: 'ec2_launch_template_monitoring_enabled_check',
    paths: ['MlflowStack/MlflowServer/Server'],
    reason:
      'aws-cdk-lib writes this launch template only to require IMDSv2 on the instance; the instance’s own Monitoring property (mlflowDetailedMonitoring) is what EC2 applies.',
  },
  {
    control: 'CT.EC2.PR.19',
    rule: 'ec2_instance_nitro_encryption_in_transit_check',
    paths: ['MlflowStack/MlflowServer/Server'],
    reason:
      'The instance types with Nitro encryption in transit (m5n, c6i and up) start near $70 a month, against the small burstable default; MLflow’s traffic is its own HTTP with basic auth, over SSM’s encrypted tunnel or from mlflowAllowedCidr.',
  },
  {
    control: 'CT.RDS.PR.13',
    rule: 'rds_instance_deletion_protection_enabled_check',
    paths: [MLFLOW_DATABASE],
    reason:
      '-c mlflowBackend=postgres: deletion protection would make `cdk destroy` fail and leave a billed database behind; -c retainData=true keeps a final snapshot instead.',
  },
  {
    control: 'CT.RDS.PR.2',
    rule: 'rds_instance_enhanced_monitoring_enabled_check',
    paths: [MLFLOW_DATABASE],
    reason: '-c mlflowBackend=postgres: per-second OS metrics need a monitoring role and bill CloudWatch Logs for a db.t4g.micro that holds run metadata; the RDS metrics stay.',
  },
  {
    control: 'CT.RDS.PR.7',
    rule: 'rds_instance_iam_authentication_enabled_check',
    paths: [MLFLOW_DATABASE],
    reason: "-c mlflowBackend=postgres: MLflow's SQLAlchemy store connects with a password (from Secrets Manager) and cannot refresh IAM tokens, which expire after 15 minutes.",
  },
  {
    control: 'CT.RDS.PR.1',
    rule: 'rds_instance_multi_az_support_check',
    paths: [MLFLOW_DATABASE],
    reason: '-c mlflowBackend=postgres: a standby would double the cost of a development tracking server’s metadata store; daily backups are kept for 7 days.',
  },
  {
    control: 'CT.RDS.PR.20',
    rule: 'rds_instance_no_default_ports_check',
    paths: [MLFLOW_DATABASE],
    reason: '-c mlflowBackend=postgres: reachable only from the MLflow server’s security group inside isolated subnets; another port would hide nothing.',
  },
  {
    control: 'CT.RDS.PR.30',
    rule: 'rds_storage_encrypted_kms_key_check',
    paths: [MLFLOW_DATABASE],
    reason: '-c mlflowBackend=postgres: storage is encrypted with the account’s aws/rds key; a customer key would add $1 a month and a key to keep past `cdk destroy` for final snapshots.',
  },
];

/**
 * cfn-guard (the binary the package ships) with AWS Control Tower's proactive
 * controls, which first records each GUARD_ACKNOWLEDGED entry on its
 * constructs as CDK's own acknowledgement: CDK then leaves those findings out
 * of the failure and lists them, with the reason, in validation-report.json.
 * Acknowledging here rather than in each stack keeps every entry in one table
 * and lets a stack be built without the plugin (as the stack tests do).
 */
export class RookeryGuardChecks implements IPolicyValidationPlugin {
  private readonly guard: CfnGuardValidator;
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];

  constructor() {
    // cfn-guard's structured JSON over every stack outgrows node's 1 MiB default buffer.
    this.guard = new CfnGuardValidator({ controlTowerRulesEnabled: true, disabledRules: GUARD_DISABLED.map((r) => r.file), maxBuffer: 64 * 1024 * 1024 });
    this.name = this.guard.name;
    this.version = this.guard.version;
    this.ruleIds = this.guard.ruleIds;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    acknowledgeGuardFindings(context.appConstruct);
    const report = this.guard.validate(context);
    // The plugin leaves severity unset; once a finding is acknowledged, CDK recomputes success as
    // "no violation of severity error" and would pass every unacknowledged finding with it.
    return { ...report, violations: report.violations.map((v) => ({ ...v, severity: v.severity ?? 'error' })) };
  }
}

function acknowledgeGuardFindings(root: IConstruct): void {
  for (const construct of root.node.findAll()) {
    for (const ack of GUARD_ACKNOWLEDGED) {
      if (ack.paths.includes(construct.node.path)) Validations.of(construct).acknowledge({ id: `${GUARD_PLUGIN}::${ack.rule}`, reason: `${ack.control}: ${ack.reason}` });
    }
  }
}

/** `cdk synth` fails on any Control Tower finding GUARD_ACKNOWLEDGED does not cover. */
export function addGuardChecks(app: App): void {
  Validations.of(app).addPlugins(new RookeryGuardChecks());
}
