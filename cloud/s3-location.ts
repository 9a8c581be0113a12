// The one reading of `s3://bucket/key`: the CLI's flags, training results,
// Data Capture destinations and the S3 store, and the CDK app's context
// (captureUri, groundTruthUri, ...) all parse S3 locations here.
import { UserError } from '../model/user-error.ts';

export interface S3Location {
  bucket: string;
  /** The key or key prefix as written, without leading slashes; may be empty. */
  key: string;
}

/** S3's bucket naming rules, as far as a typo is concerned: 3 to 63 lower-case letters, digits, dots and hyphens. */
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

export function isS3Uri(uri: string): boolean {
  return uri.trim().startsWith('s3://');
}

export function parseS3Uri(uri: string): S3Location {
  const m = S3_URI.exec(uri.trim());
  if (!m) {
    throw new UserError('is not an S3 location', { where: JSON.stringify(uri), fix: 'write s3://bucket/key or s3://bucket/prefix (bucket names are lower-case)', exitCode: 2 });
  }
  return { bucket: m[1], key: (m[2] ?? '').replace(/^\/+/, '') };
}

/** A key prefix as a folder: empty, or ending in `/`. */
export function asFolder(key: string): string {
  return key && !key.endsWith('/') ? `${key}/` : key;
}
