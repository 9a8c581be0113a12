// CloudWatch PutMetricData for the monitoring job, through the SDK client
// scripts/aws/clients.ts builds.
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { MonitorSummary } from '../monitor/summary.ts';
import { awsCall } from '../aws/credentials.ts';

export interface MetricDatum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Value: number;
  Unit: 'Count' | 'None' | 'Percent';
  /** Epoch seconds. */
  Timestamp: number;
}

/** CloudWatch takes up to 1000 values per call; stay well below the 1 MB body limit. */
const PER_CALL = 500;

export async function putMetricData(client: CloudWatchClient, namespace: string, data: MetricDatum[]): Promise<void> {
  for (let i = 0; i < data.length; i += PER_CALL) {
    const MetricData = data.slice(i, i + PER_CALL).map((d) => ({ ...d, Timestamp: new Date(d.Timestamp * 1000) }));
    await awsCall(`publishing metrics to ${namespace}`, () => client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData })));
  }
}

/**
 * The figures the drift alarm and dashboards use, from the monitor's
 * summary.json: per endpoint DriftedColumns, DriftTestedColumns, FailedChecks,
 * CapturedRows, LabeledRows, Accuracy (when labels exist) and PredictionDrift;
 * per column DriftScore (the test's p-value or distance, as Evidently reports
 * it) and ColumnDrifted (0 or 1).
 */
export function metricsFromSummary(summary: MonitorSummary, endpointName: string): MetricDatum[] {
  const at = Math.floor(new Date(summary.generatedAt).getTime() / 1000);
  const endpoint = [{ Name: 'EndpointName', Value: endpointName }];
  const datum = (MetricName: string, Value: number, Unit: MetricDatum['Unit'] = 'Count', Dimensions = endpoint): MetricDatum => ({ MetricName, Dimensions, Value, Unit, Timestamp: at });
  const analysis = summary.analysis;
  const data = [
    datum('DriftedColumns', analysis.drift.drifted),
    datum('DriftTestedColumns', analysis.drift.tested),
    datum('FailedChecks', summary.counts.failed),
    datum('CapturedRows', summary.current.rows),
    datum('LabeledRows', summary.current.labeledRows),
  ];
  if ('accuracy' in analysis.quality && Number.isFinite(analysis.quality.accuracy)) data.push(datum('Accuracy', analysis.quality.accuracy, 'None'));
  if ('drifted' in analysis.predictionDrift) data.push(datum('PredictionDrift', analysis.predictionDrift.drifted ? 1 : 0));
  for (const column of analysis.drift.columns) {
    const dims = [...endpoint, { Name: 'Column', Value: column.column }];
    const score = column.pvalue ?? column.distance;
    if (typeof score === 'number' && Number.isFinite(score)) data.push(datum('DriftScore', score, 'None', dims));
    if (typeof column.drifted === 'boolean') data.push(datum('ColumnDrifted', column.drifted ? 1 : 0, 'Count', dims));
  }
  return data;
}
