import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { AwsClients } from './deploy.ts';

/** Clients on the standard AWS chain (AWS_PROFILE, SSO, environment, instance role) in one region. */
export function awsClients(region?: string): AwsClients {
  const base = region ? { region } : {};
  return {
    sagemaker: new SageMakerClient(base),
    // The model bucket may be in another region than the profile's default; S3 redirects and the client follows.
    s3: new S3Client({ ...base, followRegionRedirects: true }),
    cloudwatch: new CloudWatchClient(base),
  };
}
