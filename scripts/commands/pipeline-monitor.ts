import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MONITOR_METRIC_NAMESPACE } from '../../cloud/monitor-metrics.ts';
import { UserError } from '../../model/user-error.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { readConfig } from '../config.ts';
import { FileBlobStore } from '../store/blob-store.ts';

export const DEFAULT_NAMESPACE = MONITOR_METRIC_NAMESPACE;

/**
 * Whether a file:/// capture folder holds any Data Capture file (*.jsonl) yet:
 * an empty folder is "no captures yet", as an empty S3 prefix is. A folder
 * that does not exist is more likely a mistyped path: that is an error.
 */
async function holdsCaptures(uri: string): Promise<boolean> {
  if (!uri.trim().startsWith('file://')) return true;
  const { openBlobStore } = await import('../store/open.ts');
  const store = await openBlobStore(uri);
  if (store instanceof FileBlobStore && !(await store.exists())) {
    throw new UserError(`--datastore ${uri}: no such folder; pass the endpoint's Data Capture folder (file:///dir) or an s3:// prefix`, { exitCode: 2 });
  }
  for await (const key of store.list()) if (key.endsWith('.jsonl')) return true;
  return false;
}

export const pipelineMonitorCommand = defineCommand({
  name: 'pipeline monitor',
  summary: 'Monitor an endpoint’s captured data and publish the drift and quality figures as CloudWatch metrics',
  about: `
What the scheduled monitoring job runs: \`rookery monitor\` on the endpoint's Data Capture files
(copied from S3 to a temporary folder first), then CloudWatch metrics under --namespace with the
dimension EndpointName (and Column for per-column figures):
  DriftedColumns, DriftTestedColumns, FailedChecks, CapturedRows, LabeledRows,
  Accuracy (when ground truth exists), PredictionDrift (0/1),
  DriftScore and ColumnDrifted (0/1) per column.
PipelineStack's drift alarm watches DriftedColumns > 0 and can start the training pipeline.`,
  notes: `
Exit status: 0 when the figures were published (drift is reported through the metrics, not the
exit status), 0 with nothing published when there are no captures yet, 2 when the monitor could not run.`,
  options: {
    endpoint: { type: 'string', value: 'NAME', required: true, description: "the SageMaker endpoint (the metrics' EndpointName dimension)" },
    datastore: { type: 'string', value: 'URI', required: true, description: 'captures: s3://bucket/prefix or file:///dir (SageMaker Data Capture JSON Lines)' },
    'ground-truth': { type: 'string', value: 'URI', description: 'labels written by `rookery label` (optional: without them quality is skipped)' },
    report: {
      type: 'string',
      value: 'URI',
      description: 'where report.html and summary.json go: an s3:// prefix (a folder per run\nunder <endpoint>/<time>/) or a local folder (default: a temporary folder)',
    },
    namespace: { type: 'string', value: 'NS', description: 'CloudWatch namespace', default: DEFAULT_NAMESPACE },
    samples: { type: 'string', value: 'N', description: 'only the N most recent captured rows' },
    'no-publish': { type: 'boolean', description: 'compute and print the metrics without sending them' },
  },
  async run({ values, out }) {
    if (!values.endpoint) throw new UserError('--endpoint NAME is required: it names the metrics (see `rookery pipeline monitor --help`)', { exitCode: 2 });
    if (!values.datastore) throw new UserError('--datastore URI is required: the endpoint\'s Data Capture location, e.g. s3://bucket/capture', { exitCode: 2 });
    const samples = values.samples === undefined ? undefined : numberFlag('samples', values.samples, 0, { integer: true, min: 1 });
    const namespace = values.namespace ?? DEFAULT_NAMESPACE;
    const config = readConfig();
    const { downloadDir, isS3Uri, uploadDir } = await import('../pipeline/locations.ts');
    const { runMonitor, formatOutcome } = await import('../monitor/run.ts');
    const { metricsFromSummary, putMetricData } = await import('../pipeline/cloudwatch-metrics.ts');
    const { cloudWatchClient } = await import('../aws/clients.ts');

    const work = mkdtempSync(join(tmpdir(), 'rookery-monitor-'));
    try {
      // S3 locations are copied to local folders, which the monitor reads as file:///.
      const local = async (uri: string, name: string): Promise<string | undefined> => {
        if (!isS3Uri(uri)) return uri;
        const dir = join(work, name);
        const files = await downloadDir(uri, dir, { allowEmpty: true });
        out(`copied ${files} files from ${uri}`);
        return files ? pathToFileURL(dir).href : undefined;
      };
      const datastore = await local(values.datastore, 'capture');
      if (!datastore || !(await holdsCaptures(datastore))) {
        out(`no captured data under ${values.datastore} yet: nothing to monitor, no metrics published`);
        return 0;
      }
      const groundTruth = values['ground-truth'] ? await local(values['ground-truth'], 'ground-truth') : undefined;
      const remoteReport = values.report && isS3Uri(values.report) ? values.report : undefined;
      const outDir = remoteReport || !values.report ? join(work, 'report') : resolve(values.report);

      let outcome;
      try {
        outcome = await runMonitor({
          datastore,
          ...(groundTruth ? { groundTruth } : {}),
          referencePath: config.dataPath,
          schemaPath: config.schemaPath,
          ...(samples !== undefined ? { samples } : {}),
          outDir,
        });
      } catch (err) {
        if (err instanceof UserError) throw new UserError(err.message, { exitCode: 2, cause: err });
        throw err;
      }
      out(formatOutcome(outcome));

      if (remoteReport) {
        const folder = `${remoteReport.replace(/\/+$/, '')}/${values.endpoint}/${outcome.summary.generatedAt.replace(/[:.]/g, '-')}`;
        await uploadDir(outDir, folder);
        out(`uploaded the report to ${folder}/`);
      }
      const metrics = metricsFromSummary(outcome.summary, values.endpoint);
      const headline = metrics.filter((m) => m.Dimensions.length === 1).map((m) => `${m.MetricName}=${Number(m.Value.toFixed(4))}`).join(' ');
      if (values['no-publish']) {
        out(`not published (--no-publish): ${headline}`);
        return 0;
      }
      try {
        await putMetricData(cloudWatchClient(), namespace, metrics);
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`cannot publish the metrics: ${(err as Error).message}`);
      }
      out(`published ${metrics.length} metrics to ${namespace} for ${values.endpoint}: ${headline}`);
      return 0;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
});
