// Loaded only from a source checkout (scripts/pipeline/aws-client.ts): the
// AWS SDK's default credential chain, so profiles and SSO work on a laptop.
// The image's bundle never contains this file.
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentials } from './aws-sign.ts';

export async function defaultCredentials(): Promise<AwsCredentials> {
  const identity = await new S3Client({}).config.credentials();
  return {
    accessKeyId: identity.accessKeyId,
    secretAccessKey: identity.secretAccessKey,
    ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}),
    ...(identity.expiration ? { expiration: identity.expiration } : {}),
  };
}
