/**
 * `rookery label` and `rookery monitor` over s3://, run as a user runs them
 * (child processes) against moto_server's S3: SageMaker Data Capture files
 * in a bucket, ground truth written next to them by `label` (once: a second
 * run adds nothing), then `monitor` joining the two into its report.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../scripts/aws/clients.ts';
import { runCli } from '../helpers/cli.ts';
import { batchTransformCaptures, twoHoursOfCaptures } from '../monitor/fixtures.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';
import { useTempDirs } from '../helpers/temp.ts';

const moto = useMoto();
const tempDir = useTempDirs('rookery-label-s3-');
let s3: S3Client;

beforeAll(async () => {
  if (!moto.available) return;
  s3 = s3Client();
  await s3.send(new CreateBucketCommand({ Bucket: 'data' }));
  for (const [Key, Body] of Object.entries(twoHoursOfCaptures())) await s3.send(new PutObjectCommand({ Bucket: 'data', Key, Body }));
  for (const [key, Body] of Object.entries(batchTransformCaptures('s3://data/transform'))) await s3.send(new PutObjectCommand({ Bucket: 'data', Key: `transform/${key}`, Body }));
}, 60_000);
afterAll(() => s3?.destroy());

async function groundTruth(prefix = 'ground-truth/'): Promise<{ key: string; lines: any[] }[]> {
  const listed = (await s3.send(new ListObjectsV2Command({ Bucket: 'data', Prefix: prefix }))).Contents ?? [];
  return Promise.all(
    listed.map(async (o) => {
      const text = await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: o.Key! }))).Body!.transformToString('utf8');
      return { key: o.Key!, lines: text.trim().split('\n').map((l) => JSON.parse(l)) };
    }),
  );
}

describe('rookery label and monitor over s3:// against moto_server', () => {
  if (!moto.available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it('labels every captured record once, then monitors captures and labels together', async () => {
    const label = ['label', '--datastore', 's3://data/capture', '--ground-truth', 's3://data/ground-truth'];
    const first = await runCli(label, moto.server.env(), { timeoutMs: 60_000 });
    expect(first.stderr.split('\n').filter((l) => l.startsWith('rookery:'))).toEqual([]);
    expect(first.code).toBe(0);
    const files = await groundTruth();
    expect(files).toHaveLength(1);
    expect(files[0].key).toMatch(/^ground-truth\/\d{4}\/\d\d\/\d\d\/\d\d\/[^/]+\.jsonl$/);
    const ids = files[0].lines.map((l) => l.eventMetadata.eventId).sort();
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => `req-${i * 5}`).sort());
    expect(files[0].lines[0]).toMatchObject({ groundTruthData: { encoding: 'CSV' }, eventVersion: '0' });
    expect(files[0].lines[0].groundTruthData.data.split(',')).toHaveLength(5);

    const again = await runCli(label, moto.server.env(), { timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    expect(await groundTruth()).toHaveLength(1);

    const out = tempDir();
    const monitor = await runCli(['monitor', '--datastore', 's3://data/capture', '--ground-truth', 's3://data/ground-truth', '--out', out, '--no-fail'], moto.server.env(), { timeoutMs: 90_000 });
    expect(monitor.stderr.split('\n').filter((l) => l.startsWith('rookery:'))).toEqual([]);
    expect(monitor.code).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    // Every captured row joined to its label (the labels of rows that match the dataset are their true classes).
    const text = readFileSync(join(out, 'summary.json'), 'utf8');
    expect(text).toMatch(/"labeledRows": ?300\b/);
  }, 180_000);

  it('labels and monitors Batch Transform captures: manifests naming the input objects and their answers', async () => {
    const label = ['label', '--datastore', 's3://data/transform/capture', '--ground-truth', 's3://data/transform/ground-truth'];
    const labeled = await runCli(label, moto.server.env(), { timeoutMs: 60_000 });
    expect(labeled.stderr.split('\n').filter((l) => l.startsWith('rookery:'))).toEqual([]);
    expect(labeled.code).toBe(0);
    const files = await groundTruth('transform/ground-truth/');
    expect(files).toHaveLength(1);
    expect(files[0].lines).toHaveLength(60);
    expect(files[0].lines[0].eventMetadata.eventId).toBe('s3://data/transform/batch-scores/day.csv.out:2');

    const out = tempDir();
    const monitor = await runCli(
      ['monitor', '--datastore', 's3://data/transform/capture', '--ground-truth', 's3://data/transform/ground-truth', '--out', out, '--no-fail'],
      moto.server.env(),
      { timeoutMs: 90_000 },
    );
    expect(monitor.stderr.split('\n').filter((l) => l.startsWith('rookery:'))).toEqual([]);
    expect(monitor.code).toBe(0);
    const text = readFileSync(join(out, 'summary.json'), 'utf8');
    expect(text).toMatch(/"labeledRows": ?60\b/);
  }, 180_000);
});
