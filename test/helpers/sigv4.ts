/**
 * The AWS SDK's own SigV4 signer (@smithy/signature-v4), with which the AWS
 * double (test/helpers/aws-double.ts) recomputes every request's signature,
 * as AWS does, to refuse requests signed with the wrong secret.
 */
import { createHash, createHmac } from 'node:crypto';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

class Sha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret as any));
  }
  update(data: string | Uint8Array) {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The Authorization header the SDK computes for this request, signing exactly `signedHeaders`. */
export async function referenceAuthorization(
  request: { method: string; url: URL; headers: Record<string, string>; body?: Buffer | string },
  signedHeaders: string[],
  credentials: Credentials,
  region: string,
  service: string,
  date: Date,
): Promise<string> {
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, name === 'host' ? request.url.host : request.headers[name] ?? '']));
  const httpRequest = new HttpRequest({
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    ...(request.url.port ? { port: Number(request.url.port) } : {}),
    // S3 requests carry the key already encoded and are signed as sent; for
    // every other service the signer escapes the path itself.
    path: service === 's3' ? request.url.pathname : decodeURIComponent(request.url.pathname),
    query: Object.fromEntries(request.url.searchParams.entries()),
    headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const signer = new SignatureV4({ credentials, region, service, sha256: Sha256 as any, uriEscapePath: service !== 's3' });
  const signed = await signer.sign(httpRequest, { signingDate: date });
  return signed.headers.authorization ?? signed.headers.Authorization;
}
