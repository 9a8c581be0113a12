// S3 GetObject, PutObject and ListObjectsV2 over signed HTTPS, for the
// pipeline commands in the image (see aws-sign.ts for why not the SDK).
import { AwsHttpError, awsRequest, type AwsContext } from './aws-client.ts';
import { uriEncode } from './aws-sign.ts';

function objectUrl(ctx: AwsContext, bucket: string, key: string, query: Record<string, string> = {}): URL {
  const path = key.split('/').map(uriEncode).join('/');
  const custom = ctx.endpoint('S3');
  // A custom endpoint (a local S3) and dotted bucket names take path-style addressing.
  const url = custom
    ? new URL(`${custom.replace(/\/+$/, '')}/${bucket}/${path}`)
    : bucket.includes('.')
      ? new URL(`https://s3.${ctx.region}.amazonaws.com/${bucket}/${path}`)
      : new URL(`https://${bucket}.s3.${ctx.region}.amazonaws.com/${path}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url;
}

const xmlText = (xml: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
const unescapeXml = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-fA-F]+));/g, (_, name: string, dec?: string, hex?: string) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[name],
  );

/** S3's error answer as an error whose name is S3's code; callers say which object. */
async function failure(answer: Response): Promise<AwsHttpError> {
  const text = await answer.text().catch(() => '');
  const code = xmlText(text, 'Code') ?? (answer.status === 404 ? 'NotFound' : `HTTP${answer.status}`);
  const message = xmlText(text, 'Message') ?? answer.statusText;
  return new AwsHttpError(code, `${code}: ${unescapeXml(message)} (HTTP ${answer.status})`, answer.status);
}

export async function getObject(ctx: AwsContext, bucket: string, key: string): Promise<Buffer> {
  const answer = await awsRequest(ctx, { method: 'GET', url: objectUrl(ctx, bucket, key), service: 's3' });
  if (!answer.ok) throw await failure(answer);
  return Buffer.from(await answer.arrayBuffer());
}

export async function putObject(ctx: AwsContext, bucket: string, key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
  const answer = await awsRequest(ctx, { method: 'PUT', url: objectUrl(ctx, bucket, key), headers: { 'content-type': contentType }, body, service: 's3' });
  if (!answer.ok) throw await failure(answer);
  await answer.arrayBuffer();
}

/** Every key under `prefix`, page by page (ListObjectsV2 with continuation tokens). */
export async function* listKeys(ctx: AwsContext, bucket: string, prefix: string): AsyncIterable<string> {
  let token: string | undefined;
  do {
    const query: Record<string, string> = { 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) };
    const answer = await awsRequest(ctx, { method: 'GET', url: objectUrl(ctx, bucket, '', query), service: 's3' });
    if (!answer.ok) throw await failure(answer);
    const xml = await answer.text();
    for (const m of xml.matchAll(/<Contents>[\s\S]*?<Key>([^<]*)<\/Key>[\s\S]*?<\/Contents>/g)) yield unescapeXml(m[1]);
    token = xmlText(xml, 'IsTruncated') === 'true' ? unescapeXml(xmlText(xml, 'NextContinuationToken') ?? '') || undefined : undefined;
  } while (token);
}
