/**
 * `rookery pipeline monitor`, the scheduled monitoring job: SageMaker Data
 * Capture files and ground truth in a local S3 double, the monitor run on
 * copies of them, the figures sent to a CloudWatch double (every request's
 * signature checked) and the report uploaded next to the runs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadDataset, rowAt, type FeatureRow } from '../../model/dataset.ts';
import { loadSchema } from '../../model/schema.ts';
import { main } from '../../scripts/cli.ts';
import { commands } from '../../scripts/commands/index.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { AwsDouble } from '../helpers/aws-double.ts';

const schema = loadSchema(DEFAULT_SCHEMA_PATH);
const data = loadDataset(DEFAULT_DATA_PATH, schema);
const rows: { row: FeatureRow; species: string }[] = [];
for (let i = 0; i < data.size; i++) {
  const row = rowAt(data, i);
  if (Object.values(row).every((v) => v !== null)) rows.push({ row, species: schema.target.classes[data.target![i]] });
}

let aws: AwsDouble;
let lines: string[];
let restoreEnv: () => void;
const ENDPOINT = 'rookery-penguins';

beforeAll(async () => {
  aws = await AwsDouble.start();
  restoreEnv = aws.useInProcess(['AWS_', 'MLFLOW_']);
});
afterAll(async () => {
  restoreEnv();
  await aws.close();
});
beforeEach(() => {
  lines = [];
  aws.buckets.clear();
  for (const bucket of ['data', 'runs']) aws.bucket(bucket);
  aws.metrics.length = 0;
});

/** One hour of Data Capture (one record per request of 10 rows) and, optionally, its ground truth. */
function capture(bucket: string, shift: (row: FeatureRow) => FeatureRow = (r) => r, labels = true): void {
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
  aws.setObject(`${bucket}/capture/${ENDPOINT}/AllTraffic/2025/03/01/10/capture-1.jsonl`, Buffer.from(captureLines.join('\n')));
  if (labels) aws.setObject(`${bucket}/ground-truth/2025/03/01/11/labels.jsonl`, Buffer.from(truthLines.join('\n')));
}

const run = (...extra: string[]) =>
  main(
    ['pipeline', 'monitor', '--endpoint', ENDPOINT, '--datastore', 's3://data/capture', '--ground-truth', 's3://data/ground-truth', '--report', 's3://runs/monitoring', ...extra],
    commands,
    (line) => lines.push(line),
  );

function metric(name: string, column?: string): number | undefined {
  const all = aws.metrics.flatMap((m) => m.MetricData);
  const found = all.find((d) => d.MetricName === name && (column ? d.Dimensions.some((x: any) => x.Name === 'Column' && x.Value === column) : d.Dimensions.length === 1));
  return found?.Value;
}

describe('rookery pipeline monitor', () => {
  it('publishes no drift and full accuracy for traffic like the training data, and uploads the report', async () => {
    capture('data');
    expect(await run()).toBe(0);
    expect(aws.metrics.map((m) => m.Namespace)).toEqual(['Rookery/Monitoring']);
    expect(metric('DriftedColumns')).toBe(0);
    expect(metric('DriftTestedColumns')).toBe(schema.features.length);
    expect(metric('CapturedRows')).toBe(rows.length);
    expect(metric('LabeledRows')).toBe(rows.length);
    expect(metric('Accuracy')).toBe(1);
    for (const f of schema.features) {
      expect(metric('ColumnDrifted', f.name)).toBe(0);
      expect(metric('DriftScore', f.name)).toEqual(expect.any(Number));
    }
    const datum = aws.metrics[0].MetricData[0];
    expect(datum).toMatchObject({ Dimensions: [{ Name: 'EndpointName', Value: ENDPOINT }], Unit: 'Count' });
    expect(Number.isInteger(datum.Timestamp)).toBe(true);
    const reports = aws.objectIds().filter((k) => k.startsWith(`runs/monitoring/${ENDPOINT}/`));
    expect(reports.map((k) => k.split('/').pop()).sort()).toEqual(['report.html', 'summary.json']);
    expect(lines.at(-1)).toMatch(/^published \d+ metrics to Rookery\/Monitoring for rookery-penguins: DriftedColumns=0 DriftTestedColumns=6 FailedChecks=\d+ CapturedRows=333 LabeledRows=333 Accuracy=1/);
  });

  it('publishes the drifted columns when the traffic has shifted, and still exits 0: the alarm decides', async () => {
    capture('data', (r) => ({ ...r, body_mass_g: (r.body_mass_g as number) + 2500, flipper_length_mm: (r.flipper_length_mm as number) + 40 }), false);
    expect(await run('--namespace', 'Rookery/Test')).toBe(0);
    expect(aws.metrics[0].Namespace).toBe('Rookery/Test');
    expect(metric('DriftedColumns')).toBeGreaterThanOrEqual(2);
    expect(metric('ColumnDrifted', 'body_mass_g')).toBe(1);
    expect(metric('ColumnDrifted', 'flipper_length_mm')).toBe(1);
    expect(metric('Accuracy')).toBeUndefined();
    expect(metric('LabeledRows')).toBe(0);
  });

  it('publishes nothing, successfully, before the endpoint has captured anything', async () => {
    expect(await run()).toBe(0);
    expect(lines).toContain('no captured data under s3://data/capture yet: nothing to monitor, no metrics published');
    expect(aws.metrics).toEqual([]);
  });

  it('prints the figures without sending them with --no-publish, and needs an endpoint and a datastore', async () => {
    capture('data');
    expect(await run('--no-publish')).toBe(0);
    expect(aws.metrics).toEqual([]);
    expect(lines.at(-1)).toMatch(/^not published \(--no-publish\): DriftedColumns=0 /);
    await expect(main(['pipeline', 'monitor', '--datastore', 's3://data/capture'], commands, () => {})).rejects.toThrow(/--endpoint NAME is required/);
    await expect(main(['pipeline', 'monitor', '--endpoint', ENDPOINT], commands, () => {})).rejects.toThrow(/--datastore URI is required/);
  });
});
