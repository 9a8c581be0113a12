/**
 * The S3 store and the pipeline's s3:// locations against moto_server, a real
 * S3 emulator: clients built by scripts/aws/clients.ts, pointed at it only by
 * AWS_ENDPOINT_URL (read by the SDK itself), listing past S3's 1000-key page,
 * and S3's own NoSuchKey and NoSuchBucket answers.
 */
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../scripts/aws/clients.ts';
import { UserError } from '../../model/user-error.ts';
import { downloadDir, readText, uploadDir, writeText } from '../../scripts/pipeline/locations.ts';
import { S3BlobStore } from '../../scripts/store/s3-store.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';

const { available } = useMoto();
let client: S3Client;
let work: string;

beforeAll(async () => {
  if (!available) return;
  client = s3Client();
  for (const Bucket of ['rookery-data', 'rookery-runs']) await client.send(new CreateBucketCommand({ Bucket }));
  work = mkdtempSync(join(tmpdir(), 'rookery-s3-moto-'));
}, 60_000);
afterAll(async () => {
  if (!available) return;
  client?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function all(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

describe('S3 through the SDK clients against moto_server', () => {
  if (!available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it('lists past one ListObjectsV2 page, reads and writes whole objects with the default client', async () => {
    const store = new S3BlobStore('s3://rookery-data/capture');
    const keys = Array.from({ length: 1005 }, (_, i) => `rookery-penguins/AllTraffic/2024/05/01/${String(i % 24).padStart(2, '0')}/${String(i).padStart(5, '0')}.jsonl`);
    await Promise.all(keys.map((k) => store.write(k, '{}\n')));
    await store.write('rookery-penguins/AllTraffic/', '');
    expect(await all(store.list())).toEqual([...keys].sort());
    const hour3 = keys.filter((k) => k.includes('/01/03/')).sort();
    expect(await all(store.list('rookery-penguins/AllTraffic/2024/05/01/03/'))).toEqual(hour3.map((k) => k));
    expect((await store.read(keys[0])).toString('utf8')).toBe('{}\n');
  });

  it('pages with a small MaxKeys and narrows the listing to a sub-prefix', async () => {
    const store = new S3BlobStore('s3://rookery-data/small/', { pageSize: 7 });
    const keys = Array.from({ length: 30 }, (_, i) => `rookery-penguins/AllTraffic/2024/05/01/${String(i % 24).padStart(2, '0')}/${String(i).padStart(5, '0')}-2b3c.jsonl`);
    await Promise.all(keys.map((k) => store.write(k, '{}\n')));
    expect(await all(store.list('rookery-penguins/AllTraffic/2024/05/01/03/'))).toEqual(['rookery-penguins/AllTraffic/2024/05/01/03/00003-2b3c.jsonl', 'rookery-penguins/AllTraffic/2024/05/01/03/00027-2b3c.jsonl']);
    expect(await all(store.list())).toEqual([...keys].sort());
    expect(await all(new S3BlobStore('s3://rookery-data/nothing-here').list())).toEqual([]);
  });

  it('writes with SSE-KMS when given a key and the bucket default otherwise, and reads bytes back unchanged', async () => {
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const labels = new S3BlobStore('s3://rookery-data/ground-truth', { kmsKeyId: keyArn });
    const line = '{"groundTruthData":{"data":"Adelie","encoding":"CSV"},"eventMetadata":{"eventId":"e1"},"eventVersion":"0"}\n';
    await labels.write('2024/05/01/12/labels.jsonl', line);
    const head = await client.send(new HeadObjectCommand({ Bucket: 'rookery-data', Key: 'ground-truth/2024/05/01/12/labels.jsonl' }));
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn, ContentType: 'application/jsonl' });
    expect((await labels.read('2024/05/01/12/labels.jsonl')).toString('utf8')).toBe(line);

    const reports = new S3BlobStore('s3://rookery-data/reports');
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    await reports.write('run/blob.bin', bytes);
    const plain = await client.send(new GetObjectCommand({ Bucket: 'rookery-data', Key: 'reports/run/blob.bin' }));
    expect(plain.ServerSideEncryption).not.toBe('aws:kms');
    expect(Buffer.from(await plain.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });

  it("turns S3's NoSuchKey into a missing file and NoSuchBucket into one line", async () => {
    const store = new S3BlobStore('s3://rookery-data/capture');
    await expect(store.read('nope.jsonl')).rejects.toMatchObject({ code: 'ENOENT', message: 's3://rookery-data/capture/nope.jsonl: no such object' });
    const missing = all(new S3BlobStore('s3://no-such-bucket/capture').list());
    await expect(missing).rejects.toThrow(UserError);
    await expect(all(new S3BlobStore('s3://no-such-bucket/capture').list())).rejects.toThrow(
      'listing s3://no-such-bucket/capture/: bucket no-such-bucket does not exist (or is in another account); check the s3:// location',
    );
  });

  it('copies the pipeline’s files: text, folders up and down, and says which object is missing', async () => {
    await writeText('s3://rookery-runs/runs/exec-1/training.json', '{"passed":true}\n');
    expect(await readText('s3://rookery-runs/runs/exec-1/training.json')).toBe('{"passed":true}\n');
    const model = join(work, 'model');
    mkdirSync(join(model, 'sub'), { recursive: true });
    writeFileSync(join(model, 'MLmodel'), 'flavors: {}\n');
    writeFileSync(join(model, 'sub', 'model.json'), '{}');
    expect(await uploadDir(model, 's3://rookery-runs/runs/exec-1/model')).toBe(2);
    const copy = join(work, 'copy');
    expect(await downloadDir('s3://rookery-runs/runs/exec-1/model/', copy)).toBe(2);
    expect(readFileSync(join(copy, 'sub', 'model.json'), 'utf8')).toBe('{}');
    await expect(readText('s3://rookery-runs/runs/none/training.json')).rejects.toThrow(
      /^cannot read s3:\/\/rookery-runs\/runs\/none\/training.json: NoSuchKey: The specified key does not exist\. \(HTTP 404\)$/,
    );
    await expect(downloadDir('s3://rookery-runs/runs/none/model', join(work, 'none'))).rejects.toThrow('s3://rookery-runs/runs/none/model holds no files: nothing to download');
  });
});
