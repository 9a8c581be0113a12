/**
 * One small HTTPS client for what the Azure ML SDK does not cover: scoring
 * requests (authenticated with the endpoint key, not an ARM token), blob
 * uploads and the few ARM calls whose bodies the SDK's older models would
 * truncate. Plain node:https so a custom CA (tests, proxies) is one option.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Extra CA certificate (PEM) to trust. */
  ca?: string;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON when the response says it is JSON (or looks like it), else undefined. */
  json: unknown;
  latencyMs: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function send(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    return Promise.reject(new Error(`refusing to send credentials to ${url.origin}: only https:// (or http:// on loopback) is allowed`));
  }
  const started = performance.now();
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers: Record<string, string> = { ...req.headers };
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const options = { method: req.method, headers, timeout: req.timeoutMs ?? 30_000, ...(req.ca ? { ca: req.ca } : {}) };
    const r = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        let json: unknown;
        if (text && (/json/i.test(flat['content-type'] ?? '') || /^\s*[{[]/.test(text))) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: flat, text, json, latencyMs: performance.now() - started });
      });
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer from ${url.origin} within ${options.timeout} ms`), { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    r.end(body);
  });
}
