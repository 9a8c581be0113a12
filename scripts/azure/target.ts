/**
 * `rookery invoke|traffic --target azure --endpoint NAME`: an Azure ML
 * managed online endpoint as a request target. The scoring URI and key are
 * resolved once from the workspace; each request is one HTTPS POST.
 */
import type { TokenCredential } from '@azure/identity';
import type { InvokeOptions, InvokeResult, Target } from '../targets/target.ts';
import { connect, explainAzureError, resolveWorkspace } from './connection.ts';
import { endpointAccess, type EndpointAccess } from './endpoint.ts';
import { send } from './http.ts';

export interface AzureTargetOptions {
  endpoint: string;
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
  credential?: TokenCredential;
  armBaseUrl?: string;
  /** Extra CA certificate (PEM) for both Resource Manager and the scoring URI. */
  ca?: string;
  /** Send every request to this deployment (the `azureml-model-deployment` header) instead of by traffic weight. */
  deployment?: string;
  /** Per-request timeout; Azure's own limit is the deployment's request timeout (10 s as deployed). */
  timeoutMs?: number;
}

export interface AzureTarget extends Target {
  readonly name: 'azure';
  invoke(body: unknown, options?: InvokeOptions): Promise<InvokeResult>;
}

/** POSTs one scoring request; `body` is sent as-is when it is a string or Buffer, else as JSON. */
export async function score(
  access: Pick<EndpointAccess, 'scoringUri' | 'authorization'>,
  body: unknown,
  options: InvokeOptions & { deployment?: string; ca?: string; timeoutMs?: number } = {},
): Promise<InvokeResult> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body);
  const response = await send({
    method: 'POST',
    url: access.scoringUri,
    headers: {
      authorization: access.authorization,
      'content-type': options.contentType ?? (raw ? 'text/plain' : 'application/json'),
      accept: 'application/json',
      ...(options.deployment ? { 'azureml-model-deployment': options.deployment } : {}),
      ...(options.inferenceId ? { 'x-request-id': options.inferenceId } : {}),
    },
    body: raw ? (body as string | Buffer) : JSON.stringify(body),
    ...(options.ca ? { ca: options.ca } : {}),
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  return { status: response.status, body: response.json ?? response.text, latencyMs: response.latencyMs };
}

/** Resolves the endpoint's scoring URI and key, then returns a target that scores against it. */
export async function azureTarget(opts: AzureTargetOptions): Promise<AzureTarget> {
  const ref = await resolveWorkspace(opts);
  let access: EndpointAccess;
  try {
    const conn = await connect(ref, opts);
    access = await endpointAccess(conn, opts.endpoint);
  } catch (err) {
    throw explainAzureError(err, `online endpoint ${JSON.stringify(opts.endpoint)}`);
  }
  return {
    name: 'azure',
    destination: `${access.scoringUri} (endpoint ${access.name}${opts.deployment ? `, deployment ${opts.deployment}` : ''})`,
    invoke: (body, options = {}) =>
      score(access, body, {
        ...options,
        ...(opts.deployment ? { deployment: opts.deployment } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      }),
  };
}
