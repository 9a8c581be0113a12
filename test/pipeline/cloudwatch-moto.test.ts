/**
 * The monitoring job's PutMetricData against moto_server's CloudWatch: the
 * client scripts/aws/clients.ts builds, pointed at the emulator by
 * AWS_ENDPOINT_URL alone, in calls of at most 500 values, read back with
 * ListMetrics and GetMetricStatistics.
 */
import { GetMetricStatisticsCommand, ListMetricsCommand, type CloudWatchClient, type Metric } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudWatchClient } from '../../scripts/aws/clients.ts';
import { putMetricData, type MetricDatum } from '../../scripts/pipeline/cloudwatch-metrics.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';

const { available } = useMoto();
let client: CloudWatchClient;

beforeAll(async () => {
  if (!available) return;
  // moto cannot read gzip-compressed bodies, which the SDK sends for large PutMetricData calls
  // (CloudWatch can; nothing here checks the compressed path).
  process.env.AWS_DISABLE_REQUEST_COMPRESSION = 'true';
  client = cloudWatchClient();
}, 60_000);
afterAll(async () => {
  if (!available) return;
  client?.destroy();
});

describe('putMetricData against moto_server', () => {
  if (!available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it('publishes every value, 500 per call, under the namespace and dimensions given', async () => {
    const at = Math.floor(Date.now() / 1000) - 60;
    const data: MetricDatum[] = Array.from({ length: 600 }, (_, i) => ({
      MetricName: 'DriftScore',
      Dimensions: [
        { Name: 'EndpointName', Value: 'rookery-penguins' },
        { Name: 'Column', Value: `column-${i % 3}` },
      ],
      Value: i,
      Unit: 'None',
      Timestamp: at,
    }));
    data.push({ MetricName: 'DriftedColumns', Dimensions: [{ Name: 'EndpointName', Value: 'rookery-penguins' }], Value: 2, Unit: 'Count', Timestamp: at });
    await putMetricData(client, 'Rookery/Test', data);

    const listed: { Metrics: Metric[] } = { Metrics: [] };
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListMetricsCommand({ Namespace: 'Rookery/Test', ...(NextToken ? { NextToken } : {}) }));
      listed.Metrics.push(...(page.Metrics ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    expect([...new Set(listed.Metrics.map((m) => `${m.MetricName} ${m.Dimensions?.map((d) => d.Value).join(',')}`))].sort()).toEqual([
      'DriftScore rookery-penguins,column-0',
      'DriftScore rookery-penguins,column-1',
      'DriftScore rookery-penguins,column-2',
      'DriftedColumns rookery-penguins',
    ]);
    const stats = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Rookery/Test',
        MetricName: 'DriftScore',
        Dimensions: [
          { Name: 'EndpointName', Value: 'rookery-penguins' },
          { Name: 'Column', Value: 'column-0' },
        ],
        StartTime: new Date((at - 600) * 1000),
        EndTime: new Date((at + 600) * 1000),
        Period: 3600,
        Statistics: ['SampleCount', 'Maximum'],
      }),
    );
    expect(stats.Datapoints?.reduce((n, d) => n + (d.SampleCount ?? 0), 0)).toBe(200);
    expect(Math.max(...(stats.Datapoints ?? []).map((d) => d.Maximum ?? 0))).toBe(597);
  });
});
