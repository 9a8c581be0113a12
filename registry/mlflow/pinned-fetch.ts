/**
 * fetch for an https:// MLflow whose certificate is not in Node's CA store
 * (MlflowStack's server makes its own): node:https trusting exactly the given
 * PEM certificate(s), hostname checked against the certificate's names as
 * usual. Node's global fetch takes no CA option, and NODE_EXTRA_CA_CERTS is
 * read only at process start, from a file.
 */
import { request } from 'node:https';

export type FetchLike = (url: URL, init: { method: string; headers: Record<string, string>; body?: Buffer | string; signal: AbortSignal }) => Promise<Response>;

/** Statuses whose Response may carry no body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

export function pinnedFetch(ca: string): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: init.method, headers: init.headers, ca, signal: init.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
          const status = res.statusCode ?? 0;
          resolve(new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers }));
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
}

/** Node's codes for a certificate the client does not trust or that names another host: retrying cannot help. */
export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } })?.code ?? (err as { cause?: { code?: string } })?.cause?.code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
}
