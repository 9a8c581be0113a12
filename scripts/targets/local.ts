import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { UserError } from '../../model/user-error.ts';
import type { InvokeOptions, InvokeResult, Target } from './target.ts';

export const DEFAULT_LOCAL_ENDPOINT = 'http://127.0.0.1:8080/invocations';

export interface LocalTargetOptions {
  /** The scoring URL, e.g. http://127.0.0.1:8080/invocations; a bare host:port gets /invocations. */
  endpoint: string;
  /** Sockets kept open to the server; traffic sets it to its concurrency. */
  maxSockets?: number;
  /** Per-request limit; SageMaker gives /invocations 60 s, so a local server never needs more. */
  timeoutMs?: number;
}

/** Checks and completes the endpoint URL: http(s) only, `/invocations` when no path is given. */
export function parseLocalEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UserError(`--endpoint ${JSON.stringify(endpoint)} is not a URL; for the local server use ${DEFAULT_LOCAL_ENDPOINT}`, { exitCode: 2 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`--endpoint ${JSON.stringify(endpoint)} must be an http:// or https:// URL, e.g. ${DEFAULT_LOCAL_ENDPOINT}`, { exitCode: 2 });
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/invocations';
  return url;
}

function parseBody(res: IncomingMessage, text: string): unknown {
  if (/\bjson\b/i.test(res.headers['content-type'] ?? '')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * The serving program over HTTP (`rookery serve`, or any MLflow-compatible
 * scoring server): one POST per request on keep-alive connections, so a
 * traffic run reuses a few sockets instead of opening one per request.
 */
export function localTarget(options: LocalTargetOptions): Target & { close(): Promise<void> } {
  const url = parseLocalEndpoint(options.endpoint);
  const secure = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 16 };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  const timeoutMs = options.timeoutMs ?? 60_000;

  return {
    name: 'local',
    destination: url.href,
    invoke(body: unknown, invokeOptions: InvokeOptions = {}): Promise<InvokeResult> {
      const raw = typeof body === 'string' || Buffer.isBuffer(body);
      const payload = raw ? (body as string | Buffer) : JSON.stringify(body);
      const headers: Record<string, string | number> = {
        'Content-Type': invokeOptions.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(payload),
        Accept: 'application/json',
      };
      if (invokeOptions.customAttributes) headers['X-Amzn-SageMaker-Custom-Attributes'] = invokeOptions.customAttributes;
      if (invokeOptions.inferenceId) headers['X-Amzn-SageMaker-Inference-Id'] = invokeOptions.inferenceId;
      const started = performance.now();
      return new Promise<InvokeResult>((resolve, reject) => {
        const req = send(url, { method: 'POST', agent, headers, timeout: timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: parseBody(res, text), latencyMs: performance.now() - started });
          });
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer from ${url.href} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
        req.on('error', reject);
        req.end(payload);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}
