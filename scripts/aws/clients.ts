/**
 * Every AWS SDK client rookery makes, built here on one story: the SDK's
 * default credential chain (environment, AWS_PROFILE and SSO, the container
 * credentials a Batch job role provides, instance roles), the region from
 * `--region` or else AWS_REGION / the profile, endpoint overrides from
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (the SDK reads them
 * itself; local emulators and the tests' double use them), and one retry
 * policy: the SDK's standard strategy (exponential backoff with jitter on
 * throttling, 5xx answers and lost connections) with MAX_ATTEMPTS tries.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';

export const MAX_ATTEMPTS = 4;

export interface AwsClients {
  sagemaker: SageMakerClient;
  s3: S3Client;
  /** Checks the rollback alarms before the update; skipped when absent. */
  cloudwatch?: CloudWatchClient;
}

/**
 * What every client here is built with. scripts/targets/sagemaker.ts builds
 * its SageMaker Runtime client from it too, there rather than here so the
 * jobs bundle (which imports this file) does not carry that client.
 */
export function clientConfig(region?: string) {
  return { ...(region ? { region } : {}), retryMode: 'standard', maxAttempts: MAX_ATTEMPTS };
}

/** The endpoint the SDK will use instead of AWS's own for this service, if one is configured. */
function endpointOverride(service: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`]?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;
}

export function s3Client(region?: string): S3Client {
  return new S3Client({
    ...clientConfig(region),
    // A bucket in another region than the profile's answers with a redirect the client then follows.
    followRegionRedirects: true,
    // A local S3 (moto, MinIO, the tests' double) serves buckets as paths, not host names.
    forcePathStyle: endpointOverride('S3') !== undefined,
  });
}

export function cloudWatchClient(region?: string): CloudWatchClient {
  return new CloudWatchClient(clientConfig(region));
}

export function sageMakerClient(region?: string): SageMakerClient {
  return new SageMakerClient(clientConfig(region));
}

/** The clients `deploy sagemaker` uses, in one region. */
export function awsClients(region?: string): AwsClients {
  return { sagemaker: sageMakerClient(region), s3: s3Client(region), cloudwatch: cloudWatchClient(region) };
}
