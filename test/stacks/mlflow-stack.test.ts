import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Token, Validations, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { readAppConfig, stackEnv } from '../../stacks/config.ts';
import { MLFLOW_VERSION, PSYCOPG2_VERSION } from '../../stacks/constructs/mlflow-server.ts';
import { MlflowStack } from '../../stacks/mlflow-stack.ts';
import { addNagChecks } from '../../stacks/support/nag.ts';
import { runCdkApp } from '../helpers/cdk-app.ts';


interface Synth {
  app: App;
  stack: MlflowStack;
  template: Template;
  json: any;
}

/** What stacks/app.ts does for MlflowStack, with the given `-c` context. */
function synth(context: Record<string, unknown> = {}, env?: { account: string; region: string }): Synth {
  const app = new App({ context });
  addNagChecks(app);
  const stack = new MlflowStack(app, 'MlflowStack', { context: readAppConfig(app.node).context, ...(env ? { env } : {}) });
  // Synthesis runs the cdk-nag plugin and throws on any unacknowledged finding.
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() };
}

function ofType(json: any, type: string): [string, any][] {
  return Object.entries(json.Resources).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];
}

function only(json: any, type: string): [string, any] {
  const found = ofType(json, type);
  expect(found, type).toHaveLength(1);
  return found[0];
}

/** The boot script as text, with CloudFormation references shown as <Ref:Id> / <GetAtt:Id.Attr>. */
function userDataOf(json: any): string {
  const [, instance] = only(json, 'AWS::EC2::Instance');
  const parts: unknown[] = instance.Properties.UserData['Fn::Base64']['Fn::Join'][1];
  return parts
    .map((p: any) => (typeof p === 'string' ? p : p.Ref ? `<Ref:${p.Ref}>` : p['Fn::GetAtt'] ? `<GetAtt:${p['Fn::GetAtt'].join('.')}>` : JSON.stringify(p)))
    .join('');
}

function nagViolations(app: App): string[] {
  return new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ')}`);
}

/** Every `Validations.of(x).acknowledge(...)` in the tree: rule id (without CDK's prefix) -> reason. */
function acknowledgements(stack: Stack): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        if (id.includes('AwsSolutions-')) out.set(`${node.node.path} ${id.replace(/^Annotation::/, '')}`, reason);
      }
    }
  }
  return out;
}

const VARIANTS: Record<string, Record<string, unknown>> = {
  defaults: {},
  'direct access, detailed monitoring, Graviton': { mlflowAllowedCidr: '203.0.113.7/32', mlflowDetailedMonitoring: 'true', mlflowInstanceType: 't4g.small' },
  'retained data': { retainData: 'true' },
  postgres: { mlflowBackend: 'postgres' },
  'postgres, retained': { mlflowBackend: 'postgres', retainData: true },
};

describe('MlflowStack with its defaults', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth();
  });

  it('is environment-agnostic: synth needs no account or region', () => {
    expect(Token.isUnresolved(s.stack.account)).toBe(true);
    expect(Token.isUnresolved(s.stack.region)).toBe(true);
    expect(stackEnv(readAppConfig(s.app.node).context, {})).toBeUndefined();
  });

  it('keeps artifacts in an encrypted, versioned, private bucket that only accepts TLS and is emptied on destroy', () => {
    const [bucketId, bucket] = only(s.json, 'AWS::S3::Bucket');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(bucket.DeletionPolicy).toBe('Delete');
    s.template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucketId } });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } }),
        ]),
      },
    });
  });

  it('runs one Amazon Linux 2023 t3.small in a public subnet of its own VPC, IMDSv2 only, encrypted gp3 root, basic monitoring, no key pair', () => {
    const [, instance] = only(s.json, 'AWS::EC2::Instance');
    const p = instance.Properties;
    expect(p.InstanceType).toBe('t3.small');
    expect(p.Monitoring).toBe(false);
    expect(p.KeyName).toBeUndefined();
    expect(p.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 20, VolumeType: 'gp3' } }]);
    const ami = s.json.Parameters[p.ImageId.Ref];
    expect(ami.Default).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64');
    s.template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } } });
    const [nic] = p.NetworkInterfaces;
    expect(nic.AssociatePublicIpAddress).toBe(true);
    expect(s.json.Resources[nic.SubnetId.Ref].Properties.MapPublicIpOnLaunch).toBe(true);
    expect(ofType(s.json, 'AWS::EC2::NatGateway')).toHaveLength(0);
    // CloudFormation waits for the boot script's signal, sent once MLflow answers /health.
    expect(instance.CreationPolicy).toEqual({ ResourceSignal: { Timeout: 'PT20M' } });
  });

  it('logs rejected VPC traffic (flow logs)', () => {
    const [vpcId] = only(s.json, 'AWS::EC2::VPC');
    s.template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceId: { Ref: vpcId }, ResourceType: 'VPC', TrafficType: 'REJECT' });
  });

  it('opens no port: no inbound rule, nothing from 0.0.0.0/0, no SSH; outbound HTTPS only', () => {
    const [, sg] = only(s.json, 'AWS::EC2::SecurityGroup');
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(ofType(s.json, 'AWS::EC2::SecurityGroupIngress')).toHaveLength(0);
    expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
  });

  it('gives the instance role its bucket, its secret and Session Manager, nothing else', () => {
    const [roleId, role] = ofType(s.json, 'AWS::IAM::Role').find(([, r]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'ec2.amazonaws.com')!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = ofType(s.json, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    expect(policies).toHaveLength(1);
    const statements: any[] = policies[0][1].Properties.PolicyDocument.Statement;
    const [bucketId] = only(s.json, 'AWS::S3::Bucket');
    const [secretId] = only(s.json, 'AWS::SecretsManager::Secret');
    const bySid = Object.fromEntries(statements.filter((st) => st.Sid).map((st) => [st.Sid, st]));
    expect(bySid.SessionManagerAgent.Action).toEqual(['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']);
    expect(bySid.ArtifactBucket.Resource).toEqual({ 'Fn::GetAtt': [bucketId, 'Arn'] });
    expect(bySid.ArtifactObjects.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] });
    expect(bySid.BootSignal).toMatchObject({ Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } });
    const secretRead = statements.find((st) => !st.Sid);
    expect(secretRead).toEqual({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: { Ref: secretId } });
    for (const st of statements) {
      for (const action of [st.Action].flat()) expect(action).not.toMatch(/\*$/);
      if ([st.Action].flat().some((a: string) => a.startsWith('s3:'))) expect(JSON.stringify(st.Resource)).toContain(bucketId);
    }
  });

  it('generates the admin password in Secrets Manager and never writes it into the template or an output', () => {
    const [secretId, secret] = only(s.json, 'AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString).toEqual({ ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 32 });
    expect(secret.Properties.SecretString).toBeUndefined();
    const text = JSON.stringify(s.json);
    expect(text).not.toContain('{{resolve:secretsmanager');
    expect(text).not.toMatch(/password1234/);
    expect(JSON.stringify(s.json.Outputs)).not.toContain('GetAtt');
    expect(s.json.Outputs.AdminSecretArn.Value).toEqual({ Ref: secretId });
  });

  it('installs the pinned MLflow in a virtualenv and runs it under systemd with proxied S3 artifacts and basic auth', () => {
    const script = userDataOf(s.json);
    const [bucketId] = only(s.json, 'AWS::S3::Bucket');
    const [secretId] = only(s.json, 'AWS::SecretsManager::Secret');
    expect(MLFLOW_VERSION).toMatch(/^2\.\d+\.\d+$/);
    expect(script).toContain('python3.11 -m venv /opt/mlflow');
    expect(script).toContain(`/opt/mlflow/bin/pip install --no-cache-dir 'mlflow[auth]==${MLFLOW_VERSION}' boto3`);
    expect(script).not.toContain('psycopg2');
    const exec = script.split('\n').find((l) => l.startsWith('exec /opt/mlflow/bin/mlflow server'))!;
    expect(exec).toContain('--serve-artifacts');
    expect(exec).toContain(`--artifacts-destination 's3://<Ref:${bucketId}>'`);
    expect(exec).toContain('--default-artifact-root mlflow-artifacts:/');
    expect(exec).toContain('--app-name basic-auth');
    // MLflow on loopback only: nginx's TLS and the SSM tunnel are its only clients.
    expect(exec).toContain('--host 127.0.0.1 --port 5000');
    expect(exec).not.toContain('0.0.0.0');
    expect(script).toContain('export MLFLOW_BACKEND_STORE_URI=sqlite:////var/lib/mlflow/mlflow.db');
    const unit = script.slice(script.indexOf("cat > /etc/systemd/system/mlflow.service <<'UNIT'"), script.indexOf('\nUNIT\n'));
    expect(unit).toContain('ExecStart=/opt/mlflow/start.sh');
    expect(unit).toContain('Restart=always');
    expect(unit).toContain('User=mlflow');
    expect(script).toContain('systemctl enable --now mlflow.service');
    // The password is fetched on the instance by its role at every start, into a file only mlflow can read.
    expect(script).toContain(`admin_password=$(aws secretsmanager get-secret-value --secret-id '<Ref:${secretId}>' --query SecretString --output text)`);
    expect(script).toContain('umask 077');
    expect(script).toContain('admin_password = ${admin_password}');
    expect(script).toMatch(/\/opt\/aws\/bin\/cfn-signal --stack MlflowStack --resource Server\w+ --region <Ref:AWS::Region> -e \$exitCode/);
  });

  it('serves MLflow over TLS: a certificate made on the instance for its private address, nginx on 443 only, the certificate published before the signal', () => {
    const script = userDataOf(s.json);
    const lines = script.split('\n');
    const [parameterId, parameter] = only(s.json, 'AWS::SSM::Parameter');
    expect(parameter.Properties.Type).toBe('String');
    expect(script).toContain('dnf install -y python3.11 aws-cfn-bootstrap nginx openssl');
    // The certificate names the address the jobs use; its key is written under umask 077.
    expect(script).toContain('private_ip=$(imds local-ipv4)');
    expect(script).toContain('san="IP:${private_ip},DNS:${private_dns}"');
    const openssl = lines.find((l) => l.includes('openssl req -x509'))!;
    expect(openssl).toMatch(/^\(umask 077 && openssl req -x509 -newkey ec .* -keyout \/etc\/mlflow-tls\/key\.pem -out \/etc\/mlflow-tls\/cert\.pem .*-addext "subjectAltName=\$\{san\}"/);
    // nginx: exactly one server, TLS on 443, proxying to MLflow's loopback port; nothing on 80.
    const conf = script.slice(script.indexOf("cat > /etc/nginx/nginx.conf <<'NGINX'"), script.indexOf('\nNGINX\n'));
    expect(conf.match(/^\s*listen .*$/gm)).toEqual(['    listen 443 ssl;']);
    expect(conf).toContain('ssl_certificate /etc/mlflow-tls/cert.pem;');
    expect(conf).toContain('ssl_certificate_key /etc/mlflow-tls/key.pem;');
    expect(conf).toContain('proxy_pass http://127.0.0.1:5000;');
    expect(conf).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    expect(script).toContain('systemctl enable --now nginx.service');
    // Ready only when MLflow answers through nginx with that certificate; then the certificate is published.
    const check = lines.findIndex((l) => l.startsWith('curl -fsS -o /dev/null --cacert /etc/mlflow-tls/cert.pem https://${private_ip}/health ||'));
    const publish = lines.findIndex((l) => l.startsWith('aws ssm put-parameter'));
    expect(check).toBeGreaterThan(lines.findIndex((l) => l.includes('systemctl enable --now nginx.service')));
    expect(publish).toBeGreaterThan(check);
    expect(lines[publish]).toBe(`aws ssm put-parameter --region '<Ref:AWS::Region>' --name '<Ref:${parameterId}>' --type String --overwrite --value file:///etc/mlflow-tls/cert.pem >/dev/null`);
    expect(script).not.toContain('key.pem >');
    expect(script).not.toMatch(/put-parameter[^\n]*key\.pem/);
  });

  it('lets the instance write its certificate parameter and nothing else in Parameter Store', () => {
    const [parameterId] = only(s.json, 'AWS::SSM::Parameter');
    const statements = ofType(s.json, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const ssmWrites = statements.filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('ssm:') && a !== 'ssm:UpdateInstanceInformation'));
    expect(ssmWrites).toHaveLength(1);
    expect(JSON.stringify(ssmWrites[0].Resource)).toContain(parameterId);
    expect(s.json.Outputs.TlsCertificateParameter.Value).toEqual({ Ref: parameterId });
  });

  it('outputs the tunnel form of the tracking URI, the tunnel command, instance, bucket and secret ARN (no direct URI)', () => {
    const o = s.json.Outputs;
    const [instanceId] = only(s.json, 'AWS::EC2::Instance');
    expect(o.TrackingUriTunnel.Value).toBe('http://localhost:5000');
    expect(o.TunnelCommand.Value).toEqual({
      'Fn::Join': ['', ['aws ssm start-session --target ', { Ref: instanceId }, ' --document-name AWS-StartPortForwardingSession --parameters portNumber=5000,localPortNumber=5000 --region ', { Ref: 'AWS::Region' }]],
    });
    expect(o.InstanceId.Value).toEqual({ Ref: instanceId });
    expect(o.ArtifactBucketName.Value).toEqual({ Ref: only(s.json, 'AWS::S3::Bucket')[0] });
    expect(o.AdminUsername.Value).toBe('admin');
    expect(o.TrackingUriDirect).toBeUndefined();
    expect(ofType(s.json, 'AWS::RDS::DBInstance')).toHaveLength(0);
  });
});

describe('MlflowStack options', () => {
  it('-c mlflowAllowedCidr opens the HTTPS port (never plain 5000) to that range only and adds the https direct URI', () => {
    const { json, template } = synth({ mlflowAllowedCidr: '203.0.113.7/32' });
    const [, sg] = only(json, 'AWS::EC2::SecurityGroup');
    expect(sg.Properties.SecurityGroupIngress).toEqual([{ CidrIp: '203.0.113.7/32', Description: 'MLflow over HTTPS from mlflowAllowedCidr', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }]);
    const [instanceId] = only(json, 'AWS::EC2::Instance');
    expect(json.Outputs.TrackingUriDirect.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [instanceId, 'PublicDnsName'] }]] });
    // The certificate names the public DNS name too, when the instance has one.
    expect(userDataOf(json)).toContain('if [ -n "$public_dns" ]; then san="${san},DNS:${public_dns}"; fi');
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('refuses any range wider than /16 (0.0.0.0/1 included), IPv6 and malformed ranges with one line naming the value, the bound and the fix', () => {
    expect(() => synth({ mlflowAllowedCidr: '0.0.0.0/0' })).toThrow(UserError);
    expect(() => synth({ mlflowAllowedCidr: '0.0.0.0/1' })).toThrow(
      '-c mlflowAllowedCidr=0.0.0.0/1 is not valid: /1 opens MLflow to 2,147,483,648 addresses, wider than the /16 bound; give your own address as a.b.c.d/32 (curl -s https://checkip.amazonaws.com) or a range of /16 or narrower, or leave it unset and use `rookery mlflow tunnel`',
    );
    expect(() => synth({ mlflowAllowedCidr: '0.0.0.0/0' })).toThrow(/\/0 opens MLflow to the whole internet, wider than the \/16 bound/);
    expect(() => synth({ mlflowAllowedCidr: '10.0.0.0/15' })).toThrow(/wider than the \/16 bound/);
    expect(() => synth({ mlflowAllowedCidr: '::/0' })).toThrow(/-c mlflowAllowedCidr=::\/0 is not valid: IPv6 ranges are not supported/);
    expect(() => synth({ mlflowAllowedCidr: '2001:db8::/32' })).toThrow(/IPv6 ranges are not supported/);
    expect(() => synth({ mlflowAllowedCidr: '203.0.113.7/24' })).toThrow(/host bits are set; did you mean 203\.0\.113\.0\/24\?/);
    expect(() => synth({ mlflowAllowedCidr: '300.1.1.1/32' })).toThrow(/expected an IPv4 range/);
  });

  it('accepts a /16, the widest range allowed, as the only ingress rule', () => {
    const { json } = synth({ mlflowAllowedCidr: '10.20.0.0/16' });
    const [, sg] = only(json, 'AWS::EC2::SecurityGroup');
    expect(sg.Properties.SecurityGroupIngress.map((r: { CidrIp: string }) => r.CidrIp)).toEqual(['10.20.0.0/16']);
  });

  it('checks the other context values, naming the bad one', () => {
    expect(() => synth({ mlflowInstanceType: 'huge' })).toThrow('-c mlflowInstanceType=huge is not valid: expected an EC2 instance type like t3.small');
    expect(() => synth({ mlflowBackend: 'mysql' })).toThrow('-c mlflowBackend=mysql is not valid: use sqlite or postgres');
    expect(() => synth({ retainData: 'yes' })).toThrow('-c retainData=yes is not valid: use true or false');
    expect(() => synth({ mlflowDetailedMonitoring: 1 })).toThrow('-c mlflowDetailedMonitoring=1 is not valid: use true or false');
    expect(() => synth({ vpcId: 'my-vpc' })).toThrow(/-c vpcId=my-vpc is not valid: expected a VPC id/);
  });

  it('-c mlflowInstanceType and -c mlflowDetailedMonitoring=true; Graviton types get the arm64 image', () => {
    const { json } = synth({ mlflowInstanceType: 'm7g.large', mlflowDetailedMonitoring: 'true' });
    const [, instance] = only(json, 'AWS::EC2::Instance');
    expect(instance.Properties.InstanceType).toBe('m7g.large');
    expect(instance.Properties.Monitoring).toBe(true);
    expect(json.Parameters[instance.Properties.ImageId.Ref].Default).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64');
  });

  it('-c retainData=true keeps the bucket on destroy and does not empty it', () => {
    const { json } = synth({ retainData: 'true' });
    const [, bucket] = only(json, 'AWS::S3::Bucket');
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(ofType(json, 'Custom::S3AutoDeleteObjects')).toHaveLength(0);
  });

  it('-c mlflowBackend=postgres: encrypted private RDS PostgreSQL reachable only from the server, credentials generated and read at boot', () => {
    const { json, template } = synth({ mlflowBackend: 'postgres' });
    const [dbId, db] = only(json, 'AWS::RDS::DBInstance');
    expect(db.Properties).toMatchObject({ Engine: 'postgres', EngineVersion: '17', StorageEncrypted: true, PubliclyAccessible: false, MultiAZ: false, DBInstanceClass: 'db.t4g.micro', DBName: 'mlflow' });
    expect(db.Properties.DeletionProtection).toBe(false);
    expect(db.DeletionPolicy).toBe('Delete');
    // Subnets: isolated (no route to the internet)
    const [, subnetGroup] = only(json, 'AWS::RDS::DBSubnetGroup');
    for (const ref of subnetGroup.Properties.SubnetIds) {
      const routes = ofType(json, 'AWS::EC2::SubnetRouteTableAssociation').filter(([, a]) => a.Properties.SubnetId.Ref === ref.Ref);
      const tableIds = routes.map(([, a]) => a.Properties.RouteTableId.Ref);
      expect(ofType(json, 'AWS::EC2::Route').filter(([, r]) => tableIds.includes(r.Properties.RouteTableId.Ref))).toHaveLength(0);
    }
    // Database security group: 5432 from the server's group only
    const sgs = ofType(json, 'AWS::EC2::SecurityGroup');
    const serverSg = sgs.find(([, g]) => g.Properties.GroupDescription.startsWith('MLflow server'))![0];
    const dbSg = sgs.find(([, g]) => g.Properties.GroupDescription.startsWith('MLflow backend store'))![0];
    expect(db.Properties.VPCSecurityGroups).toEqual([{ 'Fn::GetAtt': [dbSg, 'GroupId'] }]);
    const ingress = ofType(json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    expect(ingress).toEqual([expect.objectContaining({ GroupId: { 'Fn::GetAtt': [dbSg, 'GroupId'] }, SourceSecurityGroupId: { 'Fn::GetAtt': [serverSg, 'GroupId'] }, FromPort: 5432, ToPort: 5432 })]);
    // Credentials: a second generated secret, readable by the server role, fetched at boot
    const secrets = ofType(json, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(2);
    const dbSecretId = secrets.find(([, sec]) => sec.Properties.GenerateSecretString.SecretStringTemplate?.includes('mlflow'))![0];
    // The attachment adds host, port and dbname to the secret; its Ref is the secret's ARN.
    const [attachmentId, attachment] = only(json, 'AWS::SecretsManager::SecretTargetAttachment');
    expect(attachment.Properties).toEqual({ SecretId: { Ref: dbSecretId }, TargetId: { Ref: dbId }, TargetType: 'AWS::RDS::DBInstance' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: attachmentId } })]) },
    });
    const script = userDataOf(json);
    expect(script).toContain(`psycopg2-binary==${PSYCOPG2_VERSION}`);
    expect(script).toContain(`db_secret=$(aws secretsmanager get-secret-value --secret-id '<Ref:${attachmentId}>'`);
    expect(script).toContain('export MLFLOW_BACKEND_STORE_URI');
    expect(script).not.toContain('sqlite:////var/lib/mlflow/mlflow.db');
    expect(script).not.toContain('{{resolve:');
    expect(JSON.stringify(json.Outputs)).not.toContain('resolve:secretsmanager');
    expect(json.Resources[only(json, 'AWS::EC2::Instance')[0]].DependsOn).toContain(dbId);
  });

  it('-c mlflowBackend=postgres -c retainData=true keeps a final snapshot, and `cdk destroy` can still delete the database', () => {
    const { json } = synth({ mlflowBackend: 'postgres', retainData: 'true' });
    const [, db] = only(json, 'AWS::RDS::DBInstance');
    expect(db.Properties.DeletionProtection).toBe(false);
    expect(db.DeletionPolicy).toBe('Snapshot');
  });

  it('-c vpcId places the server in that VPC’s public subnet (looked up, so it needs an account and region)', () => {
    const ctx = { vpcId: 'vpc-0abc1234def567890' };
    expect(() => stackEnv(readAppConfig(new App({ context: ctx }).node).context, {})).toThrow(/-c vpcId=vpc-0abc1234def567890 is not valid: looking up an existing VPC needs AWS credentials/);
    const env = { account: '123456789012', region: 'eu-west-1' };
    expect(stackEnv(readAppConfig(new App({ context: ctx }).node).context, { CDK_DEFAULT_ACCOUNT: env.account, CDK_DEFAULT_REGION: env.region })).toEqual(env);
    const key = `vpc-provider:account=${env.account}:filter.vpc-id=${ctx.vpcId}:region=${env.region}:returnAsymmetricSubnets=true`;
    const lookedUp = {
      vpcId: ctx.vpcId,
      vpcCidrBlock: '172.31.0.0/16',
      ownerAccountId: env.account,
      availabilityZones: [],
      subnetGroups: [
        { name: 'Public', type: 'Public', subnets: [{ subnetId: 'subnet-0aaa1111', cidr: '172.31.0.0/20', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0aaa1111' }] },
        { name: 'Private', type: 'Private', subnets: [{ subnetId: 'subnet-0bbb2222', cidr: '172.31.16.0/20', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0bbb2222' }] },
      ],
    };
    const { json } = synth({ ...ctx, [key]: lookedUp }, env);
    expect(ofType(json, 'AWS::EC2::VPC')).toHaveLength(0);
    const [, instance] = only(json, 'AWS::EC2::Instance');
    expect(instance.Properties.NetworkInterfaces[0].SubnetId).toBe('subnet-0aaa1111');
    expect(only(json, 'AWS::EC2::SecurityGroup')[1].Properties.VpcId).toBe(ctx.vpcId);
  });
});

describe('network exposure in every variant', () => {
  for (const [name, context] of Object.entries(VARIANTS)) {
    it(`has no ingress from 0.0.0.0/0 or ::/0, no SSH and no key pair (${name})`, () => {
      const { json } = synth(context);
      const rules = [
        ...ofType(json, 'AWS::EC2::SecurityGroup').flatMap(([, g]) => g.Properties.SecurityGroupIngress ?? []),
        ...ofType(json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties),
      ];
      for (const rule of rules) {
        expect(rule.CidrIp).not.toBe('0.0.0.0/0');
        expect(rule.CidrIpv6).not.toBe('::/0');
        expect(rule.IpProtocol).not.toBe('-1');
        expect(rule.FromPort <= 22 && rule.ToPort >= 22).toBe(false);
      }
      for (const [, instance] of ofType(json, 'AWS::EC2::Instance')) expect(instance.Properties.KeyName).toBeUndefined();
      expect(ofType(json, 'AWS::EC2::KeyPair')).toHaveLength(0);
    });
  }
});

describe('cdk-nag AwsSolutions', () => {
  for (const [name, context] of Object.entries(VARIANTS)) {
    it(`has no unacknowledged finding (${name})`, () => {
      const { app } = synth(context);
      expect(nagViolations(app)).toEqual([]);
    });
  }

  it('acknowledges only these findings, each with a specific reason', () => {
    const all = new Map<string, string>();
    for (const context of Object.values(VARIANTS)) for (const [k, v] of acknowledgements(synth(context).stack)) all.set(k, v);
    expect([...all.keys()].map((k) => k.replace(/^MlflowStack\/(MlflowServer\/)?/, '')).sort()).toEqual([
      'AdminPassword AwsSolutions-SMG4',
      'Artifacts AwsSolutions-S1',
      'Custom::S3AutoDeleteObjectsCustomResourceProvider AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'Database AwsSolutions-RDS10',
      'Database AwsSolutions-RDS11',
      'Database AwsSolutions-RDS3',
      'Database/Secret AwsSolutions-SMG4',
      'Server AwsSolutions-EC28',
      'Server AwsSolutions-EC29',
      'ServerRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      expect.stringMatching(/^ServerRole\/DefaultPolicy AwsSolutions-IAM5\[Resource::<Artifacts\w+\.Arn>\/\*\]$/),
    ]);
    for (const [key, reason] of all) {
      expect(reason.length, key).toBeGreaterThan(60);
      expect(reason, key).not.toMatch(/^(n\/a|todo|not needed|suppress)/i);
    }
    expect(new Set(all.values()).size).toBe(all.size);
  });

  it('fails synthesis when a finding is not acknowledged', () => {
    const app = new App();
    addNagChecks(app);
    const stack = new MlflowStack(app, 'MlflowStack', { context: readAppConfig(app.node).context });
    // A bucket without TLS enforcement or logging, outside every acknowledgement.
    new Bucket(stack, 'Stray');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});

/** The app as `cdk synth` runs it; the registry is an empty folder of the test's outdir (test/stacks/app.test.ts synthesizes with a model). */
function runApp(context: Record<string, string>, outdir: string): Promise<{ code: number | null; stderr: string }> {
  return runCdkApp({ context, outdir: join(outdir, 'cdk.out'), registry: join(outdir, 'registry') });
}

describe('stacks/app.ts (what `cdk synth MlflowStack` runs)', () => {
  it('synthesizes MlflowStack without AWS credentials, with an empty validation report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rookery-cdk-'));
    try {
      const { code, stderr } = await runApp({}, out);
      expect(stderr).not.toMatch(/AwsSolutions-/);
      expect(code).toBe(0);
      const template = JSON.parse(readFileSync(join(out, 'cdk.out', 'MlflowStack.template.json'), 'utf8'));
      expect(Object.values(template.Resources).some((r: any) => r.Type === 'AWS::EC2::Instance')).toBe(true);
      const report = JSON.parse(readFileSync(join(out, 'cdk.out', 'validation-report.json'), 'utf8'));
      expect(report.pluginReports.filter((r: any) => r.summary?.pluginName === 'AwsSolutions' || JSON.stringify(r).includes('AwsSolutions'))).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('exits 1 with one clear line for -c mlflowAllowedCidr=0.0.0.0/1', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rookery-cdk-'));
    try {
      const { code, stderr } = await runApp({ mlflowAllowedCidr: '0.0.0.0/1' }, out);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        'rookery CDK app: -c mlflowAllowedCidr=0.0.0.0/1 is not valid: /1 opens MLflow to 2,147,483,648 addresses, wider than the /16 bound; give your own address as a.b.c.d/32 (curl -s https://checkip.amazonaws.com) or a range of /16 or narrower, or leave it unset and use `rookery mlflow tunnel`',
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
