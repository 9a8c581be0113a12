import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import {
  AmazonLinuxCpuType,
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  Instance,
  InstanceArchitecture,
  InstanceType,
  MachineImage,
  type ISecurityGroup,
  SubnetType,
  UserData,
  type IVpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnDBInstance, DatabaseInstance } from 'aws-cdk-lib/aws-rds';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { GroupingConstruct } from '../support/logical-ids.ts';
import { acknowledge } from '../support/nag.ts';

/** The MLflow release the server runs: the last 2.x line (2.22), whose REST API rookery's client speaks. */
export const MLFLOW_VERSION = '2.22.5';
/** PostgreSQL driver for `-c mlflowBackend=postgres`. */
export const PSYCOPG2_VERSION = '2.9.10';
/**
 * MLflow's own port, plain HTTP on the instance's loopback only: nginx in front
 * of it, and `rookery mlflow tunnel` (SSM port forwarding, encrypted by Session
 * Manager), are the only clients. Nothing in the VPC reaches it.
 */
export const MLFLOW_PORT = 5000;
/** HTTPS in front of MLflow (nginx with a certificate made on the instance): the only port the VPC may reach. */
export const MLFLOW_TLS_PORT = 443;
export const ADMIN_USERNAME = 'admin';
/** Where the boot script keeps the TLS key (root only) and certificate. */
export const TLS_DIR = '/etc/mlflow-tls';

/**
 * The openssl command that makes the server's self-signed certificate: an
 * ECDSA P-256 key that never leaves the instance, and a certificate that is
 * its own CA (clients pin it: MLFLOW_TRACKING_SERVER_CERT_PATH, or the PEM in
 * ROOKERY_MLFLOW_CA_CERT) naming the addresses clients use in its SAN. Ten
 * years: it lives and dies with the instance, which makes a new one on replacement.
 * The tests run this same command.
 */
export function selfSignedCertificateCommand(o: { keyFile: string; certFile: string; commonName: string; subjectAltName: string }): string {
  return [
    'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 3650',
    `-keyout ${o.keyFile} -out ${o.certFile} -subj "/CN=${o.commonName}"`,
    `-addext "subjectAltName=${o.subjectAltName}"`,
    '-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" -addext "extendedKeyUsage=serverAuth"',
  ].join(' ');
}

/**
 * nginx's whole configuration: TLS on MLFLOW_TLS_PORT, proxied to MLflow on
 * loopback, no size limit or buffering (artifact uploads stream through), and
 * nothing on port 80. The tests run nginx on it.
 */
export function nginxConfig(o: { certFile: string; keyFile: string; listen: string; upstream: string; pidFile?: string; logDir?: string }): string[] {
  const logs = o.logDir ?? '/var/log/nginx';
  return [
    ...(o.pidFile ? [`pid ${o.pidFile};`] : ['user nginx;', 'pid /run/nginx.pid;']),
    'worker_processes auto;',
    `error_log ${logs}/error.log notice;`,
    'events { worker_connections 1024; }',
    'http {',
    `  access_log ${logs}/access.log;`,
    '  server_tokens off;',
    '  server {',
    `    listen ${o.listen} ssl;`,
    `    ssl_certificate ${o.certFile};`,
    `    ssl_certificate_key ${o.keyFile};`,
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    client_max_body_size 0;',
    '    proxy_request_buffering off;',
    '    proxy_buffering off;',
    '    proxy_read_timeout 300s;',
    '    proxy_send_timeout 300s;',
    '    location / {',
    `      proxy_pass http://${o.upstream};`,
    '      proxy_set_header Host $host;',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_set_header X-Forwarded-Proto https;',
    '    }',
    '  }',
    '}',
  ];
}

/**
 * Boot-script lines that put TLS in front of MLflow: the certificate for the
 * instance's private address and DNS name (and public ones, for
 * -c mlflowAllowedCidr), nginx, and the public certificate published to SSM
 * Parameter Store for the clients to pin (the key stays on the instance).
 */
function tlsScript(): string[] {
  const key = `${TLS_DIR}/key.pem`;
  const cert = `${TLS_DIR}/cert.pem`;
  return [
    'imds_token=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    'imds() { curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" "http://169.254.169.254/latest/meta-data/$1"; }',
    'private_ip=$(imds local-ipv4)',
    'private_dns=$(imds local-hostname)',
    'san="IP:${private_ip},DNS:${private_dns}"',
    'public_dns=$(imds public-hostname || true)',
    'if [ -n "$public_dns" ]; then san="${san},DNS:${public_dns}"; fi',
    `install -d -o root -g root -m 0755 ${TLS_DIR}`,
    `(umask 077 && ${selfSignedCertificateCommand({ keyFile: key, certFile: cert, commonName: '${private_dns}', subjectAltName: '${san}' })})`,
    `chmod 0644 ${cert}`,
    "cat > /etc/nginx/nginx.conf <<'NGINX'",
    ...nginxConfig({ certFile: cert, keyFile: key, listen: String(MLFLOW_TLS_PORT), upstream: `127.0.0.1:${MLFLOW_PORT}` }),
    'NGINX',
    'nginx -t',
    'systemctl enable --now nginx.service',
  ];
}

/** Waits for MLflow through nginx with the new certificate, then publishes the certificate; exit status is what CloudFormation gets. */
function readyScript(inputs: ServerScriptInputs): string[] {
  const cert = `${TLS_DIR}/cert.pem`;
  return [
    `for _ in $(seq 1 60); do curl -fsS -o /dev/null --cacert ${cert} https://\${private_ip}/health && break; sleep 5; done`,
    `curl -fsS -o /dev/null --cacert ${cert} https://\${private_ip}/health || { echo 'MLflow did not answer /health over TLS within 5 minutes; see: journalctl -u mlflow -u nginx' >&2; exit 1; }`,
    `aws ssm put-parameter --region '${inputs.region}' --name '${inputs.certificateParameterName}' --type String --overwrite --value file://${cert} >/dev/null`,
  ];
}

interface ServerScriptInputs {
  readonly region: string;
  readonly bucketName: string;
  readonly adminSecretArn: string;
  /** SSM parameter the boot script writes the public TLS certificate (PEM) to. */
  readonly certificateParameterName: string;
  /**
   * Secrets Manager secret with the RDS connection (username, password, host, port, dbname).
   * @default runs and registry in SQLite on the instance's volume
   */
  readonly databaseSecretArn?: string;
}

/**
 * Boot script: installs MLflow at the pinned version into a virtualenv, writes
 * a start script that fetches credentials from Secrets Manager each time the
 * service starts (so no secret is in the template, the user data or the
 * process list), runs it under systemd on loopback behind nginx's TLS, and
 * reports to CloudFormation only once MLflow answers /health over TLS and the
 * certificate is published.
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
    'dnf install -y python3.11 aws-cfn-bootstrap nginx openssl',
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
    `exec /opt/mlflow/bin/mlflow server --host 127.0.0.1 --port ${MLFLOW_PORT} --workers 2 --serve-artifacts --artifacts-destination 's3://${inputs.bucketName}' --default-artifact-root mlflow-artifacts:/ --app-name basic-auth`,
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
    ...tlsScript(),
    ...readyScript(inputs),
  ];
}

export interface MlflowServerProps {
  /**
   * The server's security group, with its rules. The caller owns it, and the
   * database: rules and the database's secret are named after the construct
   * path of the group and the database, and keep their ids created in the stack.
   */
  readonly securityGroup: ISecurityGroup;
  /** Needs public subnets: the instance reaches PyPI and SSM without a NAT gateway. */
  readonly vpc: IVpc;
  /** MLflow's --artifacts-destination. */
  readonly artifactBucket: IBucket;
  /** The basic-auth admin password, read by the server on every start. */
  readonly adminSecret: ISecret;
  /** EC2 instance type, e.g. t3.small (its architecture picks the AMI). */
  readonly instanceType: string;
  /** One-minute CloudWatch metrics (billed). */
  readonly detailedMonitoring: boolean;
  /**
   * A PostgreSQL backend store with a generated secret, which the server reads on every start.
   * @default runs and registry in SQLite on the instance's volume
   */
  readonly database?: DatabaseInstance;
}

/**
 * The MLflow tracking server on one EC2 instance: its role (the artifact
 * bucket, its secrets and Session Manager only) and the boot script that
 * installs MLflow and reports to CloudFormation once it answers.
 */
export class MlflowServer extends GroupingConstruct {
  readonly instance: Instance;
  readonly role: Role;
  /**
   * The server's public TLS certificate (PEM), which clients pin. Written by
   * the instance at boot, before it signals CloudFormation; the template only
   * holds a placeholder, and CloudFormation rewrites the value only if that placeholder changes.
   */
  readonly certificate: StringParameter;

  constructor(scope: Construct, id: string, props: MlflowServerProps) {
    super(scope, id);
    const serverSg = props.securityGroup;
    this.certificate = new StringParameter(this, 'TlsCertificate', {
      description: `Public TLS certificate (PEM) of the MLflow server at https://<private IP>:${MLFLOW_TLS_PORT}; written by the instance at boot`,
      stringValue: 'written by the MLflow server when it boots',
    });
    this.role = this.serverRole(props);
    this.certificate.grantWrite(this.role);
    const database = props.database;
    database?.secret?.grantRead(this.role);

    const userData = UserData.forLinux();
    userData.addCommands(
      ...serverScript({
        region: Stack.of(this).region,
        bucketName: props.artifactBucket.bucketName,
        adminSecretArn: props.adminSecret.secretArn,
        certificateParameterName: this.certificate.parameterName,
        ...(database?.secret ? { databaseSecretArn: database.secret.secretArn } : {}),
      }),
    );

    const instanceType = new InstanceType(props.instanceType);
    this.instance = new Instance(this, 'Server', {
      // The Name tag the console shows: `<stack>/Server`, as before the server became a construct.
      instanceName: `${Stack.of(this).node.path}/Server`,
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      // Outbound to SSM and PyPI without a NAT gateway; inbound only what the caller's security group lets in (HTTPS at most).
      associatePublicIpAddress: true,
      instanceType,
      machineImage: MachineImage.latestAmazonLinux2023({
        cpuType: instanceType.architecture === InstanceArchitecture.ARM_64 ? AmazonLinuxCpuType.ARM_64 : AmazonLinuxCpuType.X86_64,
      }),
      securityGroup: serverSg,
      role: this.role,
      requireImdsv2: true,
      detailedMonitoring: props.detailedMonitoring,
      blockDevices: [{ deviceName: '/dev/xvda', volume: BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3, deleteOnTermination: true }) }],
      userData,
      // A changed boot script only takes effect on a new instance.
      userDataCausesReplacement: true,
      resourceSignalTimeout: Duration.minutes(20),
    });
    userData.addSignalOnExitCommand(this.instance);
    // Boot waits for the database instance; the boot script's Ref to the secret already orders the rest.
    if (database) this.instance.node.addDependency(database.node.defaultChild as CfnDBInstance);
    this.acknowledgeFindings(props);
  }

  private serverRole(props: MlflowServerProps): Role {
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
    role.addToPolicy(new PolicyStatement({ sid: 'ArtifactBucket', actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [props.artifactBucket.bucketArn] }));
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ArtifactObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [props.artifactBucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(new PolicyStatement({ sid: 'BootSignal', actions: ['cloudformation:SignalResource'], resources: [Stack.of(this).stackId] }));
    props.adminSecret.grantRead(role);
    return role;
  }

  /** The server's cdk-nag findings, each with why it stays. */
  private acknowledgeFindings(props: MlflowServerProps): void {
    const stack = Stack.of(this);
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      "Session Manager's agent actions (ssmmessages:*Channel, ssm:UpdateInstanceInformation) take no resource ARN; this is the statement of AWS's own AWSCloud9SSMInstanceProfile policy",
    );
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(props.artifactBucket.node.defaultChild as CfnElement)}.Arn>/*]`,
      'Object actions on the artifact bucket only: MLflow chooses the keys (experiment id / run id / artifacts/...) so they cannot be listed in advance',
    );
    acknowledge(
      this.instance,
      'AwsSolutions-EC29',
      'A single tracking server that `cdk destroy` must be able to terminate; artifacts live in S3 (kept with -c retainData=true), and termination protection would block the documented teardown',
    );
    if (!props.detailedMonitoring) {
      acknowledge(this.instance, 'AwsSolutions-EC28', 'Five-minute basic monitoring is enough for a low-traffic tracking server; -c mlflowDetailedMonitoring=true turns detailed (billed) monitoring on');
    }

  }
}
