// Read access to one key prefix of a bucket, as the Batch Transform grants need it: the model's role
// lists and reads the transform's input, the monitoring job reads the objects its captures name.
import * as iam from 'aws-cdk-lib/aws-iam';
import { parseS3Uri } from '../../cloud/s3-location.ts';

/** A prefix of a bucket, by the bucket's ARN (a token for a bucket the app owns). */
export interface BucketPrefix {
  readonly bucketArn: string;
  /** The key prefix as written (`batch/`, `in/2026-12-01.csv`); empty for the whole bucket. */
  readonly prefix: string;
}

/** A context location (a literal, checked in stacks/config.ts) as its bucket's ARN and key prefix. */
export function uriPrefix(partition: string, uri: string): BucketPrefix {
  const { bucket, key } = parseS3Uri(uri);
  return { bucketArn: `arn:${partition}:s3:::${bucket}`, prefix: key };
}

/** The object ARN the read statements name: everything under the prefix, and nothing else of the bucket. */
export function prefixObjects({ bucketArn, prefix }: BucketPrefix): string {
  return `${bucketArn}/${prefix}*`;
}

/**
 * GetObject under the prefix, and ListBucket limited to listings of that
 * prefix (a transform job lists an S3Prefix input; for anyone else a missing
 * key then reads as 404, not 403).
 */
export function prefixReads(location: BucketPrefix): iam.PolicyStatement[] {
  const listing = location.prefix ? { conditions: { StringLike: { 's3:prefix': `${location.prefix}*` } } } : {};
  return [
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [prefixObjects(location)] }),
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [location.bucketArn], ...listing }),
  ];
}
