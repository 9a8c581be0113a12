import { SageMakerClient, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { awsCall, explainAwsError, profileName } from '../../scripts/aws/credentials.ts';
import { UserError } from '../../model/user-error.ts';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });
const WHAT = 'SageMaker endpoint rookery-penguins';
const REGION = 'eu-west-1';

describe('explainAwsError', () => {
  it.each([
    [
      named('CredentialsProviderError', 'Could not load credentials from any providers'),
      { AWS_PROFILE: 'ml-dev' },
      'no AWS credentials found for profile "ml-dev" (SageMaker endpoint rookery-penguins): run `aws sso login --profile ml-dev` (IAM Identity Center) or `aws configure --profile ml-dev` (access keys), or set AWS_PROFILE to a configured profile',
    ],
    [
      named('CredentialsProviderError', 'The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.'),
      { AWS_PROFILE: 'ml-dev' },
      'the AWS credentials of profile "ml-dev" have expired (SageMaker endpoint rookery-penguins): run `aws sso login --profile ml-dev` (IAM Identity Center) or `aws configure --profile ml-dev` (access keys)',
    ],
    [
      named('ExpiredTokenException', 'The security token included in the request is expired'),
      {},
      'the AWS credentials of profile "default" have expired (SageMaker endpoint rookery-penguins): run `aws sso login --profile default` (IAM Identity Center) or `aws configure --profile default` (access keys)',
    ],
    [
      named('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      { AWS_DEFAULT_PROFILE: 'legacy' },
      'AWS rejected the credentials of profile "legacy" (SageMaker endpoint rookery-penguins: UnrecognizedClientException): run `aws sso login --profile legacy` (IAM Identity Center) or `aws configure --profile legacy` (access keys)',
    ],
    [
      named('AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/dev/me is not authorized to perform: sagemaker:DescribeEndpoint'),
      {},
      'AWS denied access for profile "default" (SageMaker endpoint rookery-penguins): User: arn:aws:sts::123456789012:assumed-role/dev/me is not authorized to perform: sagemaker:DescribeEndpoint',
    ],
    [named('Error', 'Region is missing'), { AWS_PROFILE: 'ml-dev' }, 'no AWS region (SageMaker endpoint rookery-penguins): set AWS_REGION, pass --region, or set region in profile "ml-dev" with `aws configure --profile ml-dev`'],
  ])('%s', (err, env, message) => {
    const explained = explainAwsError(err, WHAT, env) as Error;
    expect(explained).toBeInstanceOf(UserError);
    expect(explained.message).toBe(message);
    expect(explained.message).not.toContain('\n');
  });

  it('passes other errors through unchanged', () => {
    const other = named('ValidationException', 'Could not find endpoint');
    expect(explainAwsError(other, WHAT, {})).toBe(other);
    const user = new UserError('already one line');
    expect(explainAwsError(user, WHAT, {})).toBe(user);
  });

  it('reads the profile name the way the AWS CLI does', () => {
    expect(profileName({})).toBe('default');
    expect(profileName({ AWS_PROFILE: ' ml-dev ' })).toBe('ml-dev');
  });

  it("maps the SDK's own error when the credential chain finds nothing", async () => {
    const client = new SageMakerClient({
      region: REGION,
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      credentials: async () => {
        throw named('CredentialsProviderError', 'Could not load credentials from any providers');
      },
    });
    const previous = process.env.AWS_PROFILE;
    process.env.AWS_PROFILE = 'nobody';
    try {
      await expect(awsCall(WHAT, () => client.send(new DescribeEndpointCommand({ EndpointName: 'rookery-penguins' })))).rejects.toThrow(
        /^no AWS credentials found for profile "nobody" \(SageMaker endpoint rookery-penguins\): run `aws sso login --profile nobody`/,
      );
    } finally {
      if (previous === undefined) delete process.env.AWS_PROFILE;
      else process.env.AWS_PROFILE = previous;
      client.destroy();
    }
  });
});
