import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AmazonLinuxCpuType,
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  FlowLogDestination,
  FlowLogTrafficType,
  Instance,
  InstanceArchitecture,
  InstanceClass,
  InstanceSize,
  InstanceType,
  MachineImage,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  UserData,
  Vpc,
  type IVpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Credentials, DatabaseInstance, DatabaseInstanceEngine, PostgresEngineVersion } from 'aws-cdk-lib/aws-rds';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { MlflowConnection } from './pipeline-stack.ts';
import type { RookeryContext } from './shared/context.ts';
import { acknowledge, acknowledgeAutoDeleteProvider } from './shared/nag.ts';

/** The MLflow release the server runs: the last 2.x line (2.22), whose REST API rookery's client speaks. */
export const MLFLOW_VERSION = '2.22.5';
/** PostgreSQL driver for `-c mlflowBackend=postgres`. */
export const PSYCOPG2_VERSION = '2.9.10';
export const MLFLOW_PORT = 5000;
export const ADMIN_USERNAME = 'admin';

export interface MlflowStackProps extends StackProps {
  context: RookeryContext;
}

interface ServerScriptInputs {
  region: string;
  bucketName: string;
  adminSecretArn: string;
  /** Secrets Manager secret with the RDS connection (username, password, host, port, dbname). */
  databaseSecretArn?: string;
}

/**
 * Boot script: installs MLflow at the pinned version into a virtualenv, writes
 * a start script that fetches credentials from Secrets Manager each time the
 * service starts (so no secret is in the template, the user data or the
 * process list), runs it under systemd, and reports to CloudFormation only
 * once MLflow answers /health.
 */
export function serverScript(inputs: ServerScriptInputs): string[] {
  const postgres = inputs.databaseSecretArn !== undefined;
  const packages = [`'mlflow[auth]==${MLFLOW_VERSION}'`, 'boto3', ...(postgres ? [`psycopg2-binary==${PSYCOPG2_VERSION}`] : [])];
  const backend = postgres
    ? [
        `db_secret=$(aws secretsmanager get-secret-value --secret-id '${inputs.databaseSecretArn}' --query SecretString --output text)`,
        `MLFLOW_BACKEND_STORE_URI=$(printf '%s' "$db_secret" | /opt/mlflow/bin/python -c 'import json, sys, urllib.parse as u; s = json.load(sys.stdin); print("postgresql://%s:%s@%s:%s/%s" % (u.quote(s["username"], safe=""), u.quote(s["password"], safe=""), s["host"], s["port"], s["dbname"]))')`,
        'export MLFLOW_BACKEND_STORE_URI',
      ]
    : ['export MLFLOW_BACKEND_STORE_URI=sqlite:////var/lib/mlflow/mlflow.db'];
  return [
    'set -euo pipefail',
    'dnf install -y python3.11 aws-cfn-bootstrap',
    'id mlflow >/dev/null 2>&1 || useradd --system --home-dir /var/lib/mlflow --shell /sbin/nologin mlflow',
    'install -d -o mlflow -g mlflow -m 0700 /var/lib/mlflow',
    'python3.11 -m venv /opt/mlflow',
    `/opt/mlflow/bin/pip install --no-cache-dir ${packages.join(' ')}`,
    `/opt/mlflow/bin/mlflow --version | grep -F '${MLFLOW_VERSION}'`,
    "cat > /opt/mlflow/start.sh <<'START_SH'",
    '#!/bin/bash',
    '# Runs as the mlflow user on every (re)start: credentials are read here, never stored in the template.',
    'set -euo pipefail',
    'umask 077',
    'cd /var/lib/mlflow',
    `export AWS_DEFAULT_REGION='${inputs.region}'`,
    `admin_password=$(aws secretsmanager get-secret-value --secret-id '${inputs.adminSecretArn}' --query SecretString --output text)`,
    'cat > basic_auth.ini <<INI',
    '[mlflow]',
    'default_permission = READ',
    'database_uri = sqlite:////var/lib/mlflow/basic_auth.db',
    `admin_username = ${ADMIN_USERNAME}`,
    'admin_password = ${admin_password}',
    'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
    'INI',
    'export MLFLOW_AUTH_CONFIG_PATH=/var/lib/mlflow/basic_auth.ini',
    '[ -s flask_secret_key ] || head -c 32 /dev/urandom | base64 > flask_secret_key',
    'MLFLOW_FLASK_SERVER_SECRET_KEY=$(cat flask_secret_key)',
    'export MLFLOW_FLASK_SERVER_SECRET_KEY',
    ...backend,
    `exec /opt/mlflow/bin/mlflow server --host 0.0.0.0 --port ${MLFLOW_PORT} --workers 2 --serve-artifacts --artifacts-destination 's3://${inputs.bucketName}' --default-artifact-root mlflow-artifacts:/ --app-name basic-auth`,
    'START_SH',
    'chmod 0755 /opt/mlflow/start.sh',
    "cat > /etc/systemd/system/mlflow.service <<'UNIT'",
    '[Unit]',
    `Description=MLflow ${MLFLOW_VERSION} tracking server`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'User=mlflow',
    'Group=mlflow',
    'WorkingDirectory=/var/lib/mlflow',
    'ExecStart=/opt/mlflow/start.sh',
    'Restart=always',
    'RestartSec=5',
    'NoNewPrivileges=true',
    'PrivateTmp=true',
    'ProtectSystem=full',
    'ProtectHome=true',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now mlflow.service',
    `for _ in $(seq 1 60); do curl -fsS -o /dev/null http://127.0.0.1:${MLFLOW_PORT}/health && exit 0; sleep 5; done`,
    "echo 'MLflow did not answer /health within 5 minutes; see: journalctl -u mlflow' >&2",
    'exit 1',
  ];
}

/**
 * MLflow tracking server and model registry on one EC2 instance: artifacts in
 * S3 behind MLflow's proxied artifact API, runs in SQLite on the instance's
 * volume (or RDS PostgreSQL), MLflow's basic-auth app with an admin password
 * generated into Secrets Manager. Reached through SSM port forwarding; no
 * inbound rule unless `-c mlflowAllowedCidr` names a range.
 */
export class MlflowStack extends Stack {
  readonly bucket: Bucket;
  readonly adminSecret: ISecret;
  readonly instance: Instance;
  readonly vpc: IVpc;

  /** How the pipeline's jobs reach this server: privately in its VPC, the password left in Secrets Manager. */
  pipelineConnection(): MlflowConnection {
    return {
      trackingUri: `http://${this.instance.instancePrivateIp}:${MLFLOW_PORT}`,
      secret: this.adminSecret,
      username: ADMIN_USERNAME,
      vpc: this.vpc,
      server: this.instance,
      port: MLFLOW_PORT,
    };
  }

  constructor(scope: Construct, id: string, props: MlflowStackProps) {
    super(scope, id, { description: `MLflow ${MLFLOW_VERSION} tracking server and model registry (rookery)`, ...props });
    const ctx = props.context;
    const postgres = ctx.mlflowBackend === 'postgres';

    this.vpc = ctx.vpcId ? Vpc.fromLookup(this, 'Vpc', { vpcId: ctx.vpcId }) : this.newVpc(postgres);

    this.bucket = new Bucket(this, 'Artifacts', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy: ctx.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !ctx.retainData,
    });

    this.adminSecret = new Secret(this, 'AdminPassword', {
      description: `Password of the MLflow basic-auth user "${ADMIN_USERNAME}" (generated by Secrets Manager)`,
      // Letters and digits only: it goes into an INI file read by Python's configparser.
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const serverSg = new SecurityGroup(this, 'ServerSecurityGroup', {
      vpc: this.vpc,
      description: 'MLflow server: no inbound rule unless mlflowAllowedCidr is set; HTTPS out for packages, SSM, S3 and Secrets Manager',
      allowAllOutbound: false,
    });
    serverSg.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS: PyPI, dnf, SSM, S3, Secrets Manager');
    if (ctx.mlflowAllowedCidr) serverSg.addIngressRule(Peer.ipv4(ctx.mlflowAllowedCidr), Port.tcp(MLFLOW_PORT), 'MLflow from mlflowAllowedCidr');

    const role = new Role(this, 'ServerRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: 'MLflow server: its artifact bucket, its secrets and Session Manager only',
    });
    role.addToPolicy(
      new PolicyStatement({
        sid: 'SessionManagerAgent',
        actions: ['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(new PolicyStatement({ sid: 'ArtifactBucket', actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [this.bucket.bucketArn] }));
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ArtifactObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(new PolicyStatement({ sid: 'BootSignal', actions: ['cloudformation:SignalResource'], resources: [this.stackId] }));
    this.adminSecret.grantRead(role);

    const database = postgres ? this.newDatabase(ctx, serverSg) : undefined;
    database?.secret?.grantRead(role);

    const userData = UserData.forLinux();
    userData.addCommands(
      ...serverScript({
        region: this.region,
        bucketName: this.bucket.bucketName,
        adminSecretArn: this.adminSecret.secretArn,
        ...(database?.secret ? { databaseSecretArn: database.secret.secretArn } : {}),
      }),
    );

    const instanceType = new InstanceType(ctx.mlflowInstanceType);
    this.instance = new Instance(this, 'Server', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      // Outbound to SSM and PyPI without a NAT gateway; the security group has no inbound rule.
      associatePublicIpAddress: true,
      instanceType,
      machineImage: MachineImage.latestAmazonLinux2023({
        cpuType: instanceType.architecture === InstanceArchitecture.ARM_64 ? AmazonLinuxCpuType.ARM_64 : AmazonLinuxCpuType.X86_64,
      }),
      securityGroup: serverSg,
      role,
      requireImdsv2: true,
      detailedMonitoring: ctx.mlflowDetailedMonitoring,
      blockDevices: [{ deviceName: '/dev/xvda', volume: BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3, deleteOnTermination: true }) }],
      userData,
      // A changed boot script only takes effect on a new instance.
      userDataCausesReplacement: true,
      resourceSignalTimeout: Duration.minutes(20),
    });
    userData.addSignalOnExitCommand(this.instance);
    if (database) this.instance.node.addDependency(database);

    this.outputs(ctx);
    this.acknowledgeFindings(ctx, role, database);
  }

  private newVpc(postgres: boolean): Vpc {
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        ...(postgres ? [{ name: 'database', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }] : []),
      ],
    });
    const flowLogs = new LogGroup(this, 'VpcFlowLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.REJECT });
    return vpc;
  }

  private newDatabase(ctx: RookeryContext, serverSg: SecurityGroup): DatabaseInstance {
    const dbSg = new SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'MLflow backend store: PostgreSQL from the MLflow server only',
      allowAllOutbound: false,
    });
    dbSg.addIngressRule(serverSg, Port.tcp(5432), 'PostgreSQL from the MLflow server');
    serverSg.addEgressRule(dbSg, Port.tcp(5432), 'PostgreSQL backend store');
    return new DatabaseInstance(this, 'Database', {
      engine: DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_17 }),
      instanceType: InstanceType.of(InstanceClass.T4G, InstanceSize.MICRO),
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [dbSg],
      credentials: Credentials.fromGeneratedSecret('mlflow'),
      databaseName: 'mlflow',
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      backupRetention: Duration.days(7),
      multiAz: false,
      publiclyAccessible: false,
      // `cdk destroy` must be able to delete it; -c retainData=true keeps a final snapshot instead.
      deletionProtection: false,
      removalPolicy: ctx.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
  }

  private outputs(ctx: RookeryContext): void {
    new CfnOutput(this, 'TrackingUriTunnel', {
      value: `http://localhost:${MLFLOW_PORT}`,
      description: 'MLFLOW_TRACKING_URI while `rookery mlflow tunnel` (the TunnelCommand) runs',
    });
    new CfnOutput(this, 'TunnelCommand', {
      value: Fn.join('', [
        'aws ssm start-session --target ',
        this.instance.instanceId,
        ` --document-name AWS-StartPortForwardingSession --parameters portNumber=${MLFLOW_PORT},localPortNumber=${MLFLOW_PORT} --region `,
        this.region,
      ]),
      description: 'Port forwarding to the MLflow server through Session Manager (needs the session-manager-plugin)',
    });
    if (ctx.mlflowAllowedCidr) {
      new CfnOutput(this, 'TrackingUriDirect', {
        value: `http://${this.instance.instancePublicDnsName}:${MLFLOW_PORT}`,
        description: `MLFLOW_TRACKING_URI from ${ctx.mlflowAllowedCidr} (plain HTTP: prefer the tunnel)`,
      });
    }
    new CfnOutput(this, 'InstanceId', { value: this.instance.instanceId, description: 'The MLflow server instance' });
    new CfnOutput(this, 'ArtifactBucketName', { value: this.bucket.bucketName, description: "MLflow's --artifacts-destination" });
    new CfnOutput(this, 'AdminUsername', { value: ADMIN_USERNAME, description: 'MLFLOW_TRACKING_USERNAME' });
    new CfnOutput(this, 'AdminSecretArn', {
      value: this.adminSecret.secretArn,
      description: 'MLFLOW_TRACKING_PASSWORD: aws secretsmanager get-secret-value --secret-id <this ARN> --query SecretString --output text',
    });
  }

  private acknowledgeFindings(ctx: RookeryContext, role: Role, database: DatabaseInstance | undefined): void {
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Every read and write of this bucket goes through the MLflow server (the only principal with access besides CDK tooling), whose request log records it; a second bucket for S3 access logs would outlive `cdk destroy` for little gain',
    );
    acknowledge(
      this.adminSecret,
      'AwsSolutions-SMG4',
      "MLflow keeps the admin password in its own auth database once the server first starts; rotating only the secret would lock the admin out. Rotate by calling MLflow's users/update-password API, then updating the secret",
    );
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      "Session Manager's agent actions (ssmmessages:*Channel, ssm:UpdateInstanceInformation) take no resource ARN; this is the statement of AWS's own AWSCloud9SSMInstanceProfile policy",
    );
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/*]`,
      'Object actions on the artifact bucket only: MLflow chooses the keys (experiment id / run id / artifacts/...) so they cannot be listed in advance',
    );
    acknowledge(
      this.instance,
      'AwsSolutions-EC29',
      'A single tracking server that `cdk destroy` must be able to terminate; artifacts live in S3 (kept with -c retainData=true), and termination protection would block the documented teardown',
    );
    if (!ctx.mlflowDetailedMonitoring) {
      acknowledge(this.instance, 'AwsSolutions-EC28', 'Five-minute basic monitoring is enough for a low-traffic tracking server; -c mlflowDetailedMonitoring=true turns detailed (billed) monitoring on');
    }
    if (database) {
      acknowledge(database, 'AwsSolutions-RDS3', 'One small PostgreSQL instance for run metadata of a development tracking server; Multi-AZ would double its cost, and daily backups are kept for 7 days');
      acknowledge(database, 'AwsSolutions-RDS11', 'Reachable only from the MLflow server security group inside isolated subnets; a non-standard port would add no protection');
      acknowledge(
        database,
        'AwsSolutions-RDS10',
        'Deletion protection would make `cdk destroy` fail and leave a billed database behind; with -c retainData=true the data is kept as a final snapshot instead',
      );
      const secret = database.node.tryFindChild('Secret');
      if (secret) {
        acknowledge(secret, 'AwsSolutions-SMG4', "The MLflow server reads this secret on every start, but the running server keeps its connection pool; rotation would need a restart hook, and the isolated subnets have no route to Secrets Manager for a rotation Lambda");
      }
    }
    acknowledgeAutoDeleteProvider(this);
  }
}
