// MlflowServer from its props alone.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { MLFLOW_TLS_PORT, MLFLOW_VERSION, MlflowServer } from '../../stacks/constructs/mlflow-server.ts';

function build(postgres: boolean) {
  const stack = new Stack(new App(), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const database = postgres
    ? new rds.DatabaseInstance(stack, 'Db', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        credentials: rds.Credentials.fromGeneratedSecret('mlflow'),
      })
    : undefined;
  const server = new MlflowServer(stack, 'Server', {
    securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false }),
    vpc,
    artifactBucket: new s3.Bucket(stack, 'Artifacts'),
    adminSecret: new secretsmanager.Secret(stack, 'Admin'),
    instanceType: 't4g.small',
    detailedMonitoring: false,
    ...(database ? { database } : {}),
  });
  const template = Template.fromStack(stack);
  const instance = Object.values(template.findResources('AWS::EC2::Instance'))[0] as any;
  const userData = JSON.stringify(instance.Properties.UserData);
  return { stack, server, template, instance, userData };
}

describe('MlflowServer', () => {
  it('installs the pinned MLflow and keeps runs in SQLite without a database', () => {
    const { template, userData } = build(false);
    template.resourceCountIs('AWS::EC2::Instance', 1);
    expect(userData).toContain(`mlflow[auth]==${MLFLOW_VERSION}`);
    expect(userData).toContain('sqlite:////var/lib/mlflow/mlflow.db');
  });

  it('reads the database secret given to it, and starts only once the database exists', () => {
    const { stack, server, instance, userData } = build(true);
    expect(userData).toContain('postgresql://');
    const dbId = stack.getLogicalId(stack.node.findChild('Db').node.defaultChild as any);
    expect(instance.DependsOn).toContain(dbId);
    const policy = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policy).toContain('secretsmanager:GetSecretValue');
    expect(server.role).toBeDefined();
  });

  it('owns the TLS certificate parameter the instance writes at boot: the role may write that parameter, the user data publishes to it', () => {
    const { stack, server, template, userData } = build(false);
    expect(MLFLOW_TLS_PORT).toBe(443);
    template.resourceCountIs('AWS::SSM::Parameter', 1);
    const parameterId = stack.getLogicalId(server.certificate.node.defaultChild as any);
    expect(userData).toContain(`--name '",{"Ref":"${parameterId}"},"' --type String --overwrite --value file:///etc/mlflow-tls/cert.pem`);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const put = statements.find((st: any) => [st.Action].flat().includes('ssm:PutParameter'));
    expect(JSON.stringify(put.Resource)).toContain(parameterId);
  });
});
