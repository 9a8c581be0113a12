// Credentials, region and signed HTTP calls for the pipeline commands that
// run inside the image (AWS Batch on Fargate): credentials from the
// environment or the ECS container credentials endpoint, which is what a
// Batch job role provides. From a source checkout, the AWS SDK's default chain
// (profiles, SSO) is used when neither is set; the image has no SDK.
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../command.ts';
import { signRequest, type AwsCredentials } from './aws-sign.ts';

export interface AwsContext {
  region: string;
  credentials: () => Promise<AwsCredentials>;
  /** Endpoint overrides (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`), e.g. a local double. */
  endpoint(service: 'S3' | 'CLOUDWATCH'): string | undefined;
  fetch: typeof fetch;
}

const ECS_CREDENTIALS_HOST = 'http://169.254.170.2';

async function containerCredentials(env: NodeJS.ProcessEnv, fetchImpl: typeof fetch): Promise<AwsCredentials | undefined> {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (!relative && !full) return undefined;
  const url = relative ? `${ECS_CREDENTIALS_HOST}${relative}` : full!;
  const token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    ? readFileSync(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8').trim()
    : env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  let answer: Response;
  try {
    answer = await fetchImpl(url, { headers: token ? { authorization: token } : {}, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new UserError(`cannot reach the container credentials endpoint ${url}: ${(err as Error).message}`);
  }
  if (!answer.ok) throw new UserError(`the container credentials endpoint ${url} answered ${answer.status}: is a job role attached?`);
  const body = (await answer.json()) as { AccessKeyId: string; SecretAccessKey: string; Token?: string; Expiration?: string };
  return {
    accessKeyId: body.AccessKeyId,
    secretAccessKey: body.SecretAccessKey,
    ...(body.Token ? { sessionToken: body.Token } : {}),
    ...(body.Expiration ? { expiration: new Date(body.Expiration) } : {}),
  };
}

/** The SDK's default chain, loaded from a file the image does not have (so the image's bundle stays SDK-free). */
async function sdkCredentials(): Promise<AwsCredentials | undefined> {
  const url = new URL('./sdk-credentials.ts', import.meta.url);
  if (!existsSync(url)) return undefined;
  const mod = (await import(url.href)) as { defaultCredentials: () => Promise<AwsCredentials> };
  try {
    return await mod.defaultCredentials();
  } catch (err) {
    const profile = process.env.AWS_PROFILE || 'default';
    throw new UserError(`no usable AWS credentials for profile "${profile}" (${(err as Error).message.split('\n')[0]}): run \`aws sso login\` or \`aws configure\`, or set AWS_PROFILE`);
  }
}

export function awsContext(env: NodeJS.ProcessEnv = process.env, fetchImpl: typeof fetch = fetch): AwsContext {
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  let cached: AwsCredentials | undefined;
  return {
    get region(): string {
      if (!region) throw new UserError('no AWS region: set AWS_REGION (AWS Batch jobs get it from their job definition)');
      return region;
    },
    async credentials() {
      // Refresh temporary credentials five minutes before they expire.
      if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > 300_000)) return cached;
      if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
        cached = {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        };
        return cached;
      }
      cached = (await containerCredentials(env, fetchImpl)) ?? (await sdkCredentials());
      if (!cached) {
        throw new UserError('no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in AWS Batch the job role provides them)');
      }
      return cached;
    },
    endpoint(service) {
      return env[`AWS_ENDPOINT_URL_${service}`]?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;
    },
    fetch: fetchImpl,
  };
}

/** An AWS error answer: the service's error code, its message and the HTTP status. */
export class AwsHttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

export interface AwsRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | string;
  service: string;
}

/** Signs and sends one request; retries throttling and 5xx answers and lost connections with backoff. */
export async function awsRequest(ctx: AwsContext, request: AwsRequest, attempts = 4): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const headers = signRequest(
      { method: request.method, url: request.url, headers: request.headers ?? {}, ...(request.body !== undefined ? { body: request.body } : {}) },
      await ctx.credentials(),
      ctx.region,
      request.service,
    );
    delete headers.host;
    let answer: Response | undefined;
    let failure: unknown;
    try {
      answer = await ctx.fetch(request.url, { method: request.method, headers, ...(request.body !== undefined ? { body: request.body } : {}) });
    } catch (err) {
      failure = err;
    }
    const retryable = failure !== undefined || answer!.status === 429 || answer!.status === 503 || answer!.status >= 500;
    if (!retryable || attempt >= attempts) {
      if (failure) throw new UserError(`cannot reach ${request.url.origin}: ${(failure as Error).message}`);
      return answer!;
    }
    await answer?.arrayBuffer().catch(() => undefined);
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt) * Math.random()));
  }
}
