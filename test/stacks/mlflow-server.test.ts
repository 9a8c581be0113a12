// MlflowServer from its props alone.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { MLFLOW_PORT, MlflowServer, type MlflowServerProps } from '../../stacks/constructs/mlflow-server.ts';

function build(props: Partial<MlflowServerProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const server = new MlflowServer(stack, 'Server', {
    securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false }),
    vpc,
    artifactBucket: new s3.Bucket(stack, 'Artifacts'),
    adminSecret: new secretsmanager.Secret(stack, 'Admin'),
    instanceType: 't3.small',
    detailedMonitoring: false,
    backend: 'sqlite',
    retainData: false,
    ...props,
  });
  return { server, template: Template.fromStack(stack) };
}

describe('MlflowServer', () => {
  it('runs one instance with no inbound rule and no database for the sqlite backend', () => {
    const { server, template } = build();
    template.resourceCountIs('AWS::EC2::Instance', 1);
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    expect(server.database).toBeUndefined();
    const sg = Object.values(template.findResources('AWS::EC2::SecurityGroup'))[0] as any;
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('opens the MLflow port to the allowed range only, and adds a PostgreSQL instance for the postgres backend', () => {
    const { server, template } = build({ allowedCidr: '203.0.113.7/32', backend: 'postgres' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '203.0.113.7/32', FromPort: MLFLOW_PORT, ToPort: MLFLOW_PORT, IpProtocol: 'tcp', Description: 'MLflow from mlflowAllowedCidr' }],
    });
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    expect(server.database).toBeDefined();
  });
});
