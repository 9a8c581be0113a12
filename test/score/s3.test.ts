// `rookery score` with s3:// input and output against moto_server: the same
// stores as the monitor, a multipart upload for an output past one part
// (8 MiB), Parquet read by byte ranges, and Ctrl-C leaving neither an object
// nor an unfinished upload.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../scripts/aws/clients.ts';
import { ROOKERY_ENTRY, runCli } from '../helpers/cli.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { scoringModel, writeGeneratedCsv, writeGeneratedParquet } from './fixtures.ts';

const { available } = useMoto();
const temp = useTempDirs('rookery-score-s3-');
const BUCKET = 'rookery-batch';
let client: S3Client;
let registry = '';
let dir = '';

beforeAll(async () => {
  if (!available) return;
  ({ registry } = await scoringModel(temp()));
  dir = temp();
  client = s3Client();
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  writeGeneratedCsv(join(dir, 'large.csv'), 200_000);
  writeGeneratedParquet(join(dir, 'rows.parquet'), 5_000, 1_000);
  for (const name of ['large.csv', 'rows.parquet']) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `in/${name}`, Body: readFileSync(join(dir, name)) }));
}, 120_000);
afterAll(() => client?.destroy());

// The child inherits the AWS_* settings useMoto() put in this process's environment.
const score = (args: string[], cwd: string) => runCli(['score', ...args], { ROOKERY_REGISTRY: registry }, { cwd, timeoutMs: 120_000 });
const objectBytes = async (Key: string) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToByteArray());
const keys = async (Prefix: string) => ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix }))).Contents ?? []).map((o) => o.Key);

describe('rookery score with s3:// locations', () => {
  if (!available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it.each(['csv', 'parquet'])('%s: writes the same bytes to S3 as to a local file', async (format) => {
    const input = format === 'csv' ? 'large.csv' : 'rows.parquet';
    const local = temp();
    const fromS3 = await score(['--input', `s3://${BUCKET}/in/${input}`, '--output', `s3://${BUCKET}/out/${format}/scores.${format}`], local);
    expect(fromS3.code, fromS3.stderr).toBe(0);
    expect(fromS3.stdout).toContain(`into s3://${BUCKET}/out/${format}/scores.${format}`);
    const onDisk = await score(['--input', join(dir, input), '--output', `scores.${format}`], local);
    expect(onDisk.code, onDisk.stderr).toBe(0);
    const expected = readFileSync(join(local, `scores.${format}`));
    // The CSV output is about 14 MB: more than one 8 MiB part, so it went up as a multipart upload.
    if (format === 'csv') expect(expected.length).toBeGreaterThan(8 << 20);
    expect((await objectBytes(`out/${format}/scores.${format}`)).equals(expected)).toBe(true);
    expect(await keys(`out/${format}/`)).toEqual([`out/${format}/scores.${format}`]);
  }, 240_000);

  it('writes rejected rows to an s3:// reject file next to the output', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/bad.jsonl', Body: '{"island":"Dream"}\n' }));
    const run = await score(['--input', `s3://${BUCKET}/in/bad.jsonl`, '--output', `s3://${BUCKET}/out/bad/scores.jsonl`], temp());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`rejected: 1 rows (row numbers and reasons in s3://${BUCKET}/out/bad/scores.rejects.jsonl)`);
    const reject = JSON.parse((await objectBytes('out/bad/scores.rejects.jsonl')).toString('utf8')) as { row: number; reason: string };
    expect(reject).toMatchObject({ row: 1, reason: 'field "culmen_length_mm": the column is missing (send null if the value is unknown)' });
    expect((await objectBytes('out/bad/scores.jsonl')).length).toBe(0);
  }, 120_000);

  it('a missing s3:// input is one line, exit 1', async () => {
    const run = await score(['--input', `s3://${BUCKET}/in/nothing.csv`, '--output', `s3://${BUCKET}/out/none.csv`], temp());
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`rookery: --input s3://${BUCKET}/in/nothing.csv: no such file; check the path or s3:// key`);
  });

  it('Ctrl-C mid-upload leaves no object under the output key and no unfinished multipart upload', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, ROOKERY_ENTRY, 'score', '--input', `s3://${BUCKET}/in/large.csv`, '--output', `s3://${BUCKET}/out/stopped/scores.csv`], {
      cwd: temp(),
      env: { ...process.env, ROOKERY_REGISTRY: registry },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    // Stop it once its multipart upload has begun, i.e. the first 8 MiB part is on its way.
    const uploading = async () => ((await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).length > 0;
    // One SIGINT: a second one exits at once, as a user's second Ctrl-C does.
    const poll = setInterval(
      () =>
        void uploading().then((yes) => {
          if (yes && child.exitCode === null && !child.killed) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }),
      50,
    );
    child.on('close', () => clearInterval(poll));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stdout).toMatch(/^interrupted after \d+ rows/m);
    expect(code).toBe(130);
    expect(await keys('out/stopped/')).toEqual([]);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).toEqual([]);
  }, 120_000);
});
