/**
 * `rookery invoke|traffic --target sagemaker --endpoint NAME`: a SageMaker
 * real-time endpoint as a request target, through InvokeEndpoint. Answers the
 * container gave with a 4xx or 5xx come back from SageMaker as ModelError
 * (HTTP 424) carrying the container's status and body; the target reports
 * those as the container's own answer, so a traffic run counts them like the
 * local server's.
 */
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient, SageMakerRuntimeServiceException } from '@aws-sdk/client-sagemaker-runtime';
import { clientConfig } from '../aws/clients.ts';
import { explainAwsError } from '../aws/credentials.ts';
import { UserError } from '../../model/user-error.ts';
import type { InvokeOptions, InvokeResult, Target } from './target.ts';

export interface SageMakerTargetOptions {
  endpoint: string;
  /** Default: the AWS SDK's resolution (AWS_REGION, then the profile). */
  region?: string;
  /** A client of your own (tests point one at a local double). */
  client?: SageMakerRuntimeClient;
  /** Per request; AWS suggests a client timeout above the container's 60 s limit. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 70_000;

function parse(text: string, contentType: string | undefined): unknown {
  if (contentType === undefined || /\bjson\b/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export function sagemakerTarget(options: SageMakerTargetOptions): Target {
  const endpoint = options.endpoint.trim();
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(endpoint)) {
    throw new UserError(`--endpoint ${JSON.stringify(options.endpoint)} is not a SageMaker endpoint name (letters, digits and hyphens); \`cdk deploy EndpointStack\` prints it as EndpointName`, { exitCode: 2 });
  }
  const client = options.client ?? new SageMakerRuntimeClient({ ...clientConfig(options.region), requestHandler: { requestTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS } });
  const what = `SageMaker endpoint ${endpoint}`;

  return {
    name: 'sagemaker',
    destination: `SageMaker endpoint ${endpoint}${options.region ? ` (${options.region})` : ''}`,
    async invoke(body: unknown, invokeOptions: InvokeOptions = {}): Promise<InvokeResult> {
      const raw = typeof body === 'string' || Buffer.isBuffer(body);
      const payload = raw ? (body as string | Buffer) : JSON.stringify(body);
      const started = performance.now();
      try {
        const response = await client.send(
          new InvokeEndpointCommand({
            EndpointName: endpoint,
            Body: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload,
            ContentType: invokeOptions.contentType ?? 'application/json',
            Accept: 'application/json',
            ...(invokeOptions.customAttributes ? { CustomAttributes: invokeOptions.customAttributes } : {}),
            ...(invokeOptions.inferenceId ? { InferenceId: invokeOptions.inferenceId } : {}),
          }),
        );
        const text = Buffer.from(response.Body ?? new Uint8Array()).toString('utf8');
        return { status: 200, body: parse(text, response.ContentType), latencyMs: performance.now() - started };
      } catch (err) {
        const latencyMs = performance.now() - started;
        if (err instanceof ModelError) {
          return { status: err.OriginalStatusCode ?? 424, body: parse(err.OriginalMessage ?? err.message, undefined), latencyMs };
        }
        if (err instanceof SageMakerRuntimeServiceException) {
          if (err.name === 'ValidationError' && /not found/i.test(err.message)) {
            throw new UserError(`${what} not found: ${err.message} Check --endpoint and --region (\`cdk deploy EndpointStack\` prints EndpointName)`);
          }
          const status = err.$metadata.httpStatusCode;
          // Throttling, capacity and service faults are answers a traffic run counts, not reasons to stop.
          if (status !== undefined && (status === 429 || status >= 500)) {
            return { status, body: { error_code: err.name, message: err.message }, latencyMs };
          }
        }
        throw explainAwsError(err, what);
      }
    },
    async close() {
      client.destroy();
    },
  };
}
