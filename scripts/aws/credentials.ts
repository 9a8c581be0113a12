/**
 * AWS errors a user fixes at the keyboard, as one line each: missing or
 * expired credentials name the profile the SDK's default chain used
 * (AWS_PROFILE, else "default") and what to run; a missing region says where
 * to set one. Anything else passes through unchanged.
 */
import { UserError } from '../../model/user-error.ts';

/** The profile the default credential chain reads, for messages. */
export function profileName(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_PROFILE?.trim() || env.AWS_DEFAULT_PROFILE?.trim() || 'default';
}

const MISSING = new Set(['CredentialsProviderError']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenProviderError', 'RequestExpired', 'TokenRefreshRequired']);
const REJECTED = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidSignatureException', 'AuthFailure']);
const EXPIRED_MESSAGE = /SSO session .*(expired|invalid)|token .*(expired|is expired)|security token .*expired/i;
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Forbidden']);

function errorName(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string; __type?: string };
  return e?.Code ?? e?.name ?? e?.code ?? '';
}

/**
 * A one-line UserError for credential, permission and region problems;
 * `what` names what was being done ("SageMaker endpoint rookery-penguins").
 */
export function explainAwsError(err: unknown, what: string, env: NodeJS.ProcessEnv = process.env): unknown {
  if (err instanceof UserError || !(err instanceof Error)) return err;
  const name = errorName(err);
  const message = err.message.split('\n')[0].trim();
  const profile = profileName(env);
  const login = `run \`aws sso login --profile ${profile}\` (IAM Identity Center) or \`aws configure --profile ${profile}\` (access keys)`;
  // The SSO provider reports an expired session as a CredentialsProviderError, so the message decides first.
  if (EXPIRED.has(name) || EXPIRED_MESSAGE.test(message)) {
    return new UserError(`the AWS credentials of profile "${profile}" have expired (${what}): ${login}`);
  }
  if (MISSING.has(name)) {
    // Inside the image (a Batch job) there is no profile to log in to: the job role or the environment provides credentials.
    if (env.ROOKERY_IMAGE === '1') return new UserError(`no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in AWS Batch the job role provides them) for ${what}`);
    return new UserError(`no AWS credentials found for profile "${profile}" (${what}): ${login}, or set AWS_PROFILE to a configured profile`);
  }
  if (REJECTED.has(name)) {
    return new UserError(`AWS rejected the credentials of profile "${profile}" (${what}: ${name}): ${login}`);
  }
  if (DENIED.has(name)) {
    return new UserError(`AWS denied access for profile "${profile}" (${what}): ${message}`);
  }
  if (/^Region is missing$/i.test(message)) {
    return new UserError(`no AWS region (${what}): set AWS_REGION, pass --region, or set region in profile "${profile}" with \`aws configure --profile ${profile}\``);
  }
  return err;
}

/** Runs one AWS call, turning credential, permission and region errors into one-line UserErrors. */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw explainAwsError(err, what);
  }
}
