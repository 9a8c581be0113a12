import { describe, expect, it } from 'vitest';
import { signRequest, uriEncode } from '../../scripts/pipeline/aws-sign.ts';
import { referenceAuthorization } from './sigv4.ts';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const TEMPORARY = { ...CREDENTIALS, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes==' };
const DATE = new Date('2024-06-01T12:34:56.789Z');

function signedHeaderNames(authorization: string): string[] {
  return /SignedHeaders=([^,]+)/.exec(authorization)![1].split(';');
}

async function agrees(request: { method: string; url: URL; headers: Record<string, string>; body?: string | Buffer }, service: string, credentials: typeof CREDENTIALS & { sessionToken?: string }) {
  const headers = signRequest(request, credentials, 'eu-west-1', service, DATE);
  const reference = await referenceAuthorization({ ...request, headers }, signedHeaderNames(headers.authorization), credentials, 'eu-west-1', service, DATE);
  expect(headers.authorization).toBe(reference);
  return headers;
}

const s3Path = (key: string) => key.split('/').map(uriEncode).join('/');

describe('SigV4 signing of the image’s AWS calls', () => {
  it('signs an S3 PUT like the AWS SDK, with the payload hash and the date', async () => {
    const url = new URL(`https://rookery-runs.s3.eu-west-1.amazonaws.com/${s3Path('runs/exec-1/training.json')}`);
    const headers = await agrees({ method: 'PUT', url, headers: { 'content-type': 'application/json' }, body: '{"accuracy":0.97}' }, 's3', CREDENTIALS);
    expect(headers['x-amz-date']).toBe('20240601T123456Z');
    expect(headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20240601\/eu-west-1\/s3\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  });

  it('signs keys with characters S3 needs encoded, once', async () => {
    const key = 'capture/rookery-penguins/AllTraffic/2024/06/01/12/12-34-56-789 a+b=c:d(e)!*.jsonl';
    const url = new URL(`http://127.0.0.1:4566/rookery-capture/${s3Path(key)}`);
    expect(url.pathname).toContain('12-34-56-789%20a%2Bb%3Dc%3Ad%28e%29%21%2A.jsonl');
    await agrees({ method: 'GET', url, headers: {} }, 's3', CREDENTIALS);
  });

  it('signs a ListObjectsV2 query with a continuation token and a session token', async () => {
    const url = new URL('https://rookery-runs.s3.eu-west-1.amazonaws.com/');
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', 'runs/exec 1/model/');
    url.searchParams.set('continuation-token', '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=');
    const headers = await agrees({ method: 'GET', url, headers: {} }, 's3', TEMPORARY);
    expect(headers['x-amz-security-token']).toBe(TEMPORARY.sessionToken);
  });

  it('signs a CloudWatch JSON call like the AWS SDK', async () => {
    const url = new URL('https://monitoring.eu-west-1.amazonaws.com/');
    const body = JSON.stringify({ Namespace: 'Rookery/Monitoring', MetricData: [{ MetricName: 'DriftedColumns', Value: 2 }] });
    await agrees(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData', 'x-amzn-query-mode': 'true' },
        body,
      },
      'monitoring',
      TEMPORARY,
    );
  });

  it('gives a different signature for a different body, key or date', () => {
    const url = new URL('https://b.s3.eu-west-1.amazonaws.com/k');
    const sign = (body: string, secret = CREDENTIALS.secretAccessKey, date = DATE) =>
      signRequest({ method: 'PUT', url, headers: {}, body }, { ...CREDENTIALS, secretAccessKey: secret }, 'eu-west-1', 's3', date).authorization;
    const base = sign('a');
    expect(sign('b')).not.toBe(base);
    expect(sign('a', 'other')).not.toBe(base);
    expect(sign('a', CREDENTIALS.secretAccessKey, new Date('2024-06-02T00:00:00Z'))).not.toBe(base);
  });
});
