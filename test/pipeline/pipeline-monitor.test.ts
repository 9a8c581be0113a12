/**
 * `rookery pipeline monitor`, the scheduled monitoring job, run as a child
 * process against moto_server: SageMaker Data Capture files and ground truth
 * in moto's S3, the figures published to moto's CloudWatch and read back
 * from it (GetMetricStatistics), the report uploaded next to the runs.
 * moto cannot read gzip-compressed request bodies, which the SDK sends for
 * large PutMetricData calls (CloudWatch reads them), so the job runs with
 * AWS_DISABLE_REQUEST_COMPRESSION=true here.
 */
import { GetMetricStatisticsCommand, ListMetricsCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadDataset, rowAt, type FeatureRow } from '../../model/dataset.ts';
import { loadSchema } from '../../model/schema.ts';
import { main } from '../../scripts/cli.ts';
import { cloudWatchClient, s3Client } from '../../scripts/aws/clients.ts';
import { commands } from '../../scripts/commands/index.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { runCli } from '../helpers/cli.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';

const schema = loadSchema(DEFAULT_SCHEMA_PATH);
const data = loadDataset(DEFAULT_DATA_PATH, schema);
const rows: { row: FeatureRow; species: string }[] = [];
for (let i = 0; i < data.size; i++) {
  const row = rowAt(data, i);
  if (Object.values(row).every((v) => v !== null)) rows.push({ row, species: schema.target.classes[data.target![i]] });
}

const moto = useMoto();
let s3: S3Client;
let cloudwatch: CloudWatchClient;
const ENDPOINT = 'rookery-penguins';

beforeAll(() => {
  if (!moto.available) return;
  s3 = s3Client();
  cloudwatch = cloudWatchClient();
});
afterAll(() => {
  s3?.destroy();
  cloudwatch?.destroy();
});
beforeEach(async () => {
  if (!moto.available) return;
  await moto.server.reset();
  for (const Bucket of ['data', 'runs']) await s3.send(new CreateBucketCommand({ Bucket }));
});

const put = (bucket: string, key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

/** One hour of Data Capture (one record per request of 10 rows) and, optionally, its ground truth. */
async function capture(bucket: string, shift: (row: FeatureRow) => FeatureRow = (r) => r, labels = true): Promise<void> {
  const captureLines: string[] = [];
  const truthLines: string[] = [];
  // All the complete rows: the dataset is sorted by species, so any slice of it would itself look drifted.
  const sample = rows;
  for (let start = 0; start < sample.length; start += 10) {
    const batch = sample.slice(start, start + 10);
    const id = `req-${start}`;
    captureLines.push(
      JSON.stringify({
        captureData: {
          endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: JSON.stringify({ dataframe_records: batch.map((b) => shift(b.row)) }), encoding: 'JSON' },
          endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: JSON.stringify({ predictions: batch.map((b) => ({ prediction: b.species, confidence: 0.97 })) }), encoding: 'JSON' },
        },
        eventMetadata: { eventId: id, inferenceTime: '2025-03-01T10:00:00Z' },
        eventVersion: '0',
      }),
    );
    truthLines.push(JSON.stringify({ groundTruthData: { data: batch.map((b) => b.species).join(','), encoding: 'CSV' }, eventMetadata: { eventId: id }, eventVersion: '0' }));
  }
  await put(bucket, `capture/${ENDPOINT}/AllTraffic/2025/03/01/10/capture-1.jsonl`, captureLines.join('\n'));
  if (labels) await put(bucket, 'ground-truth/2025/03/01/11/labels.jsonl', truthLines.join('\n'));
}

const MONITOR = ['pipeline', 'monitor', '--endpoint', ENDPOINT, '--datastore', 's3://data/capture', '--ground-truth', 's3://data/ground-truth', '--report', 's3://runs/monitoring'];

async function run(...extra: string[]): Promise<{ code: number | null; lines: string[] }> {
  const result = await runCli([...MONITOR, ...extra], { ...moto.server.env(), AWS_DISABLE_REQUEST_COMPRESSION: 'true' }, { timeoutMs: 60_000 });
  expect(result.stderr.split('\n').filter((l) => l.startsWith('rookery:') || /^\s+at /.test(l))).toEqual([]);
  return { code: result.code, lines: result.stdout.trimEnd().split('\n') };
}

/** Every metric published under the namespace, as "name column" (column empty for the endpoint-wide ones). */
async function published(namespace = 'Rookery/Monitoring'): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(new ListMetricsCommand({ Namespace: namespace, ...(NextToken ? { NextToken } : {}) }));
    for (const m of page.Metrics ?? []) names.push(`${m.MetricName} ${m.Dimensions?.find((d) => d.Name === 'Column')?.Value ?? ''}`.trim());
    NextToken = page.NextToken;
  } while (NextToken);
  return names.sort();
}

/** The value CloudWatch holds for a metric (one datum per run here), read back with GetMetricStatistics. */
async function metric(name: string, column?: string, namespace = 'Rookery/Monitoring'): Promise<number | undefined> {
  const Dimensions: Dimension[] = [{ Name: 'EndpointName', Value: ENDPOINT }, ...(column ? [{ Name: 'Column', Value: column }] : [])];
  const stats = await cloudwatch.send(
    new GetMetricStatisticsCommand({ Namespace: namespace, MetricName: name, Dimensions, StartTime: new Date(Date.now() - 86_400_000), EndTime: new Date(Date.now() + 3_600_000), Period: 86_400, Statistics: ['Maximum', 'SampleCount'] }),
  );
  const points = stats.Datapoints ?? [];
  if (!points.length) return undefined;
  expect(points.reduce((n, p) => n + (p.SampleCount ?? 0), 0)).toBe(1);
  return points[0].Maximum;
}

describe('rookery pipeline monitor against moto_server', () => {
  if (!moto.available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it('publishes no drift and full accuracy for traffic like the training data, and uploads the report', async () => {
    await capture('data');
    const { code, lines } = await run();
    expect(code).toBe(0);
    expect(await metric('DriftedColumns')).toBe(0);
    expect(await metric('DriftTestedColumns')).toBe(schema.features.length);
    expect(await metric('CapturedRows')).toBe(rows.length);
    expect(await metric('LabeledRows')).toBe(rows.length);
    expect(await metric('Accuracy')).toBe(1);
    for (const f of schema.features) {
      expect(await metric('ColumnDrifted', f.name)).toBe(0);
      expect(await metric('DriftScore', f.name)).toEqual(expect.any(Number));
    }
    expect(await published()).toEqual(expect.arrayContaining(schema.features.flatMap((f) => [`ColumnDrifted ${f.name}`, `DriftScore ${f.name}`])));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'runs', Prefix: `monitoring/${ENDPOINT}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key!.split('/').pop()).sort()).toEqual(['report.html', 'summary.json']);
    expect(lines.at(-1)).toMatch(/^published \d+ metrics to Rookery\/Monitoring for rookery-penguins: DriftedColumns=0 DriftTestedColumns=6 FailedChecks=\d+ CapturedRows=333 LabeledRows=333 Accuracy=1/);
  }, 90_000);

  it('publishes the drifted columns when the traffic has shifted, and still exits 0: the alarm decides', async () => {
    await capture('data', (r) => ({ ...r, body_mass_g: (r.body_mass_g as number) + 2500, flipper_length_mm: (r.flipper_length_mm as number) + 40 }), false);
    const { code } = await run('--namespace', 'Rookery/Test');
    expect(code).toBe(0);
    expect(await published('Rookery/Monitoring')).toEqual([]);
    expect(await metric('DriftedColumns', undefined, 'Rookery/Test')).toBeGreaterThanOrEqual(2);
    expect(await metric('ColumnDrifted', 'body_mass_g', 'Rookery/Test')).toBe(1);
    expect(await metric('ColumnDrifted', 'flipper_length_mm', 'Rookery/Test')).toBe(1);
    expect(await metric('Accuracy', undefined, 'Rookery/Test')).toBeUndefined();
    expect(await metric('LabeledRows', undefined, 'Rookery/Test')).toBe(0);
  }, 90_000);

  it('publishes nothing, successfully, before the endpoint has captured anything', async () => {
    const { code, lines } = await run();
    expect(code).toBe(0);
    expect(lines).toContain('no captured data under s3://data/capture yet: nothing to monitor, no metrics published');
    expect(await published()).toEqual([]);
  }, 60_000);

  it('prints the figures without sending them with --no-publish', async () => {
    await capture('data');
    const { code, lines } = await run('--no-publish');
    expect(code).toBe(0);
    expect(await published()).toEqual([]);
    expect(lines.at(-1)).toMatch(/^not published \(--no-publish\): DriftedColumns=0 /);
  }, 90_000);
});

describe('rookery pipeline monitor: arguments', () => {
  it('needs an endpoint and a datastore', async () => {
    await expect(main(['pipeline', 'monitor', '--datastore', 's3://data/capture'], commands, () => {})).rejects.toThrow(/--endpoint NAME is required/);
    await expect(main(['pipeline', 'monitor', '--endpoint', ENDPOINT], commands, () => {})).rejects.toThrow(/--datastore URI is required/);
  });
});
