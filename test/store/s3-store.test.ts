import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { openBlobStore } from '../../scripts/store/open.ts';
import { asFolder, parseS3Uri } from '../../cloud/s3-location.ts';
import { S3BlobStore } from '../../scripts/store/s3-store.ts';
import { AwsDouble, CREDENTIALS, REGION } from '../helpers/aws-double.ts';

let aws: AwsDouble;
let client: S3Client;

beforeAll(async () => {
  aws = await AwsDouble.start();
  client = new S3Client({ region: REGION, endpoint: aws.url, forcePathStyle: true, credentials: CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await aws.close();
});
beforeEach(() => {
  aws.buckets.clear();
  aws.calls.length = 0;
  aws.failWith = undefined;
});

async function all(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

/** SageMaker Data Capture's layout: `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`. */
function captureKey(i: number): string {
  const hour = String(i % 24).padStart(2, '0');
  return `capture/rookery-penguins/AllTraffic/2024/05/01/${hour}/${String(i).padStart(5, '0')}-2b3c.jsonl`;
}

describe('parseS3Uri', () => {
  it.each([
    ['s3://rookery-data', { bucket: 'rookery-data', prefix: '' }],
    ['s3://rookery-data/', { bucket: 'rookery-data', prefix: '' }],
    ['s3://rookery-data/capture', { bucket: 'rookery-data', prefix: 'capture/' }],
    ['s3://rookery-data/capture/rookery-penguins/', { bucket: 'rookery-data', prefix: 'capture/rookery-penguins/' }],
  ])('%s', (uri, expected) => {
    const { bucket, key } = parseS3Uri(uri);
    expect({ bucket, prefix: asFolder(key) }).toEqual(expected);
  });

  it('rejects what is not an s3:// location', () => {
    for (const bad of ['rookery-data/capture', 's3://', 's3://UPPER/x', 'file:///tmp']) {
      expect(() => parseS3Uri(bad), bad).toThrow(UserError);
    }
  });
});

describe('S3BlobStore against the S3 double', () => {
  it('lists every key under the prefix across ListObjectsV2 pages, relative to the root and in order', async () => {
    const bucket = aws.bucket('rookery-data');
    const keys = Array.from({ length: 2500 }, (_, i) => captureKey(i));
    for (const key of [...keys].reverse()) bucket.set(key, { body: Buffer.from('{}\n'), headers: {} });
    bucket.set('capture/rookery-penguins/', { body: Buffer.alloc(0), headers: {} });
    bucket.set('ground-truth/2024/05/01/12/labels.jsonl', { body: Buffer.from('x'), headers: {} });

    const store = new S3BlobStore('s3://rookery-data/capture', { client });
    const listed = await all(store.list());
    expect(listed).toHaveLength(2500);
    expect(listed).toEqual(keys.map((k) => k.slice('capture/'.length)).sort());
    // 1000 + 1000 + 500, each page asking for the next with the token from the last.
    const pages = aws.operations('s3', 'ListObjectsV2').map((c) => c.body);
    expect(pages).toHaveLength(3);
    expect(pages[0]).toMatchObject({ 'list-type': '2', prefix: 'capture/' });
    expect(pages[0]['continuation-token']).toBeUndefined();
    expect(pages[1]['continuation-token']).toBeTruthy();
    expect(pages[2]['continuation-token']).not.toBe(pages[1]['continuation-token']);
  });

  it('pages with a small MaxKeys and narrows the listing to a sub-prefix', async () => {
    const bucket = aws.bucket('rookery-data');
    for (let i = 0; i < 30; i++) bucket.set(captureKey(i), { body: Buffer.from('{}\n'), headers: {} });
    const store = new S3BlobStore('s3://rookery-data/capture/', { client, pageSize: 7 });
    const hour3 = await all(store.list('rookery-penguins/AllTraffic/2024/05/01/03/'));
    expect(hour3).toEqual(['rookery-penguins/AllTraffic/2024/05/01/03/00003-2b3c.jsonl', 'rookery-penguins/AllTraffic/2024/05/01/03/00027-2b3c.jsonl']);
    aws.calls.length = 0;
    expect(await all(store.list())).toHaveLength(30);
    expect(aws.operations('s3', 'ListObjectsV2').map((c) => c.body['max-keys'])).toEqual(['7', '7', '7', '7', '7']);
    expect(await all(new S3BlobStore('s3://rookery-data/nothing-here', { client }).list())).toEqual([]);
  });

  it('writes and reads back whole objects, with SSE-KMS when given a key and the bucket default otherwise', async () => {
    aws.bucket('rookery-data');
    const keyArn = `arn:aws:kms:${REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const labels = new S3BlobStore('s3://rookery-data/ground-truth', { client, kmsKeyId: keyArn });
    const line = '{"groundTruthData":{"data":"Adelie","encoding":"CSV"},"eventMetadata":{"eventId":"e1"},"eventVersion":"0"}\n';
    await labels.write('2024/05/01/12/labels.jsonl', line);
    const stored = aws.buckets.get('rookery-data')!.get('ground-truth/2024/05/01/12/labels.jsonl')!;
    expect(stored.body.toString('utf8')).toBe(line);
    expect(stored.headers).toMatchObject({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': keyArn, 'content-type': 'application/jsonl' });
    expect((await labels.read('2024/05/01/12/labels.jsonl')).toString('utf8')).toBe(line);

    const reports = new S3BlobStore('s3://rookery-data/reports', { client });
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    await reports.write('run/blob.bin', bytes);
    const plain = aws.buckets.get('rookery-data')!.get('reports/run/blob.bin')!;
    expect(plain.headers['x-amz-server-side-encryption']).toBeUndefined();
    expect((await reports.read('run/blob.bin')).equals(bytes)).toBe(true);
  });

  it('reports a missing object like a missing file and a missing bucket as a user error', async () => {
    aws.bucket('rookery-data');
    const store = new S3BlobStore('s3://rookery-data/capture', { client });
    await expect(store.read('nope.jsonl')).rejects.toMatchObject({ code: 'ENOENT', message: 's3://rookery-data/capture/nope.jsonl: no such object' });
    const missing = new S3BlobStore('s3://no-such-bucket/capture', { client });
    await expect(all(missing.list())).rejects.toThrow(UserError);
    await expect(all(missing.list())).rejects.toThrow('listing s3://no-such-bucket/capture/: bucket no-such-bucket does not exist (or is in another account); check the s3:// location');
  });

  it('turns rejected credentials into one line naming the profile', async () => {
    aws.bucket('rookery-data');
    aws.failWith = { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
    const store = new S3BlobStore('s3://rookery-data/capture', { client });
    const err = (await store.read('x').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/^AWS rejected the credentials of profile "[^"]+" \(reading s3:\/\/rookery-data\/capture\/x: InvalidAccessKeyId\): run `aws sso login --profile [^`]+`/);
  });

  it('is what openBlobStore returns for s3:// locations', async () => {
    const store = await openBlobStore('s3://rookery-data/capture');
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.uri).toBe('s3://rookery-data/capture');
  });
});
