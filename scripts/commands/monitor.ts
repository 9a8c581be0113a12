import { DEFAULT_CAPTURE_URI } from '../../container/capture/open.ts';
import { UserError } from '../../model/user-error.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { readConfig } from '../config.ts';
import { commandSchema, SCHEMA_FLAGS } from '../model-schema.ts';
import { resolveMonitoredModel } from '../monitor/model.ts';
import { formatOutcome, runMonitor, type MonitorRequest } from '../monitor/run.ts';
import type { MonitorSummary } from '../monitor/summary.ts';

export const DEFAULT_REPORT_DIR = 'reports';

/** Runs the monitor and maps every way it can fail to run onto exit status 2 with a one-line reason. */
export async function monitorExitCode(
  request: MonitorRequest,
  failOnChecks: boolean,
  out: (line: string) => void,
  publish?: (summary: MonitorSummary) => Promise<void>,
): Promise<number> {
  let outcome;
  try {
    outcome = await runMonitor(request);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(err.message, { exitCode: 2, cause: err });
    if ((err as Error).name === 'SqliteError') throw new UserError(`cannot read ${request.datastore}: ${(err as Error).message}`, { exitCode: 2, cause: err });
    throw err;
  }
  out(formatOutcome(outcome));
  if (publish) await publish(outcome.summary);
  if (outcome.summary.status === 'fail' && !failOnChecks) out('--no-fail: exiting 0 although checks failed');
  return outcome.summary.status === 'fail' && failOnChecks ? 1 : 0;
}

const asUsageError = (err: unknown): never => {
  throw err instanceof UserError ? new UserError(err.message, { exitCode: 2, cause: err }) : err;
};

export const monitorCommand = defineCommand({
  name: 'monitor',
  summary: 'Check captured traffic against the reference: data quality, drift, prediction drift, model quality; HTML report',
  about: `
Reads the most recent N captured rows (default all), joins their ground truth,
and compares them with the reference data. Writes into --out:
  report.html    one self-contained page (charts as inline SVG, no script, opens offline)
  summary.json   every figure the report shows

Checks (Evidently's defaults, as the course runs them): the column set and types;
empty rows and columns; share of missing values; each numeric mean within ±10% of
the reference mean; categorical values within the known list; number of drifted
columns (0 allowed); accuracy on labeled rows at least 0.9 (skipped while nothing
is labeled). Drift per column uses Evidently's default test: Kolmogorov-Smirnov
(numeric) and chi-square (categorical) for a reference of up to 1000 rows, normed
Wasserstein and Jensen-Shannon distances above; PSI is shown for every column.`,
  notes: `
Exit status: 0 when every check passes, 1 when any fails, 2 when the monitor could not run
(no captures yet, unreadable store or reference).`,
  options: {
    datastore: {
      type: 'string',
      value: 'URI',
      description: 'the captures: a SQLite database, relative to the working directory\nor SageMaker Data Capture JSON Lines under file:///dir, s3://bucket/prefix\nor https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX',
      default: DEFAULT_CAPTURE_URI,
    },
    'ground-truth': { type: 'string', value: 'URI', description: "Model Monitor ground truth for JSON Lines captures (as 'rookery label' writes)" },
    reference: { type: 'string', value: 'FILE', description: 'reference CSV (default data/penguins.csv, or ROOKERY_DATA)' },
    ...SCHEMA_FLAGS,
    samples: { type: 'string', value: 'N', description: 'only the N most recent captured rows' },
    out: { type: 'string', value: 'DIR', description: 'where report.html and summary.json go', default: DEFAULT_REPORT_DIR },
    'summary-markdown': { type: 'string', value: 'FILE', description: 'also append the checks as a Markdown table to FILE (e.g. "$GITHUB_STEP_SUMMARY")' },
    'no-fail': { type: 'boolean', description: 'exit 0 even when checks fail' },
    'publish-azure': {
      type: 'string',
      value: 'RESOURCE_ID',
      description: "also publish the figures as Azure Monitor custom metrics on this resource\n(the online endpoint's ARM ID; needs --azure-region and Monitoring Metrics Publisher)",
    },
    'azure-region': { type: 'string', value: 'REGION', description: "the --publish-azure resource's region, e.g. eastus" },
  },
  async run({ values, out }) {
    const config = readConfig();
    const samples = values.samples === undefined ? undefined : numberFlag('samples', values.samples, 0, { integer: true, min: 1 });
    const datastore = values.datastore ?? DEFAULT_CAPTURE_URI;
    if (values['ground-truth'] && datastore.trim().startsWith('sqlite:')) {
      throw new UserError('--ground-truth is for JSON Lines captures; SQLite captures keep their labels in the table (see \'rookery label\')', { exitCode: 2 });
    }
    // --model names the model that made the predictions too: the report shows its version and training accuracy.
    const named = values.model?.trim() && values.schema === undefined ? await resolveMonitoredModel(values.model.trim(), config).catch(asUsageError) : undefined;
    return monitorExitCode(
      {
        datastore,
        ...(values['ground-truth'] ? { groundTruth: values['ground-truth'] } : {}),
        referencePath: values.reference ?? config.dataPath,
        schemaPath: config.schemaPath,
        schema: named?.schema ?? (await commandSchema(values, config).catch(asUsageError)),
        ...(named ? { model: named.model } : {}),
        ...(samples !== undefined ? { samples } : {}),
        outDir: values.out ?? DEFAULT_REPORT_DIR,
        ...(values['summary-markdown'] ? { markdownPath: values['summary-markdown'] } : {}),
      },
      !values['no-fail'],
      out,
      values['publish-azure'] ? azurePublisher(values['publish-azure'], values['azure-region'], out) : undefined,
    );
  },
});

/** Publishes a summary's figures to Azure Monitor as the signed-in identity (az login, or a job's managed identity). */
function azurePublisher(resourceId: string, region: string | undefined, out: (line: string) => void): (summary: MonitorSummary) => Promise<void> {
  if (!region) throw new UserError('--publish-azure needs --azure-region REGION (the resource\'s region, e.g. eastus)', { exitCode: 2 });
  return async (summary) => {
    const { azureMetricBodies, publishAzureMetrics } = await import('../azure/metrics.ts');
    const { DefaultAzureCredential } = await import('@azure/identity');
    const endpointName = resourceId.split('/').pop() ?? resourceId;
    const bodies = azureMetricBodies(summary, endpointName, new Date());
    try {
      await publishAzureMetrics({ resourceId, region, credential: new DefaultAzureCredential() }, bodies);
    } catch (err) {
      const { isLoginError, LOGIN_MESSAGE } = await import('../azure/login-error.ts');
      if (isLoginError(err)) throw new UserError(`cannot publish to Azure Monitor: ${LOGIN_MESSAGE}`, { cause: err });
      throw err;
    }
    out(`published ${bodies.length} metrics to Azure Monitor for ${endpointName}`);
  };
}
