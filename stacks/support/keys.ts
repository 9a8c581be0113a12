// KMS key policies the stacks share: who besides the account may use a key.
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * Denies kms:CreateGrant unless an AWS service asks for a resource of its own
 * (AWS Control Tower's CT.KMS.PR.3): SageMaker still encrypts the instance
 * volumes of an endpoint configuration, but no principal can hand the key on.
 */
export function denyGrantsButForServices(key: kms.Key): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
}

/** Lets CloudWatch Logs use the key for this stack's log groups (and no other log group of the account). */
export function allowLogGroups(key: kms.Key): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }),
  );
}

/**
 * The key a stack's log groups are encrypted with (CT.CLOUDWATCH.PR.3), for a
 * stack that has no data key of its own: rotated yearly, removed with the stack.
 */
export function newLogKey(scope: Construct, id: string, description: string): kms.Key {
  const key = new kms.Key(scope, id, { description, enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) });
  denyGrantsButForServices(key);
  allowLogGroups(key);
  return key;
}
