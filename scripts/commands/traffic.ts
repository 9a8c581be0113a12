import { UserError } from '../../model/user-error.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { readConfig } from '../config.ts';
import { DEFAULT_LOCAL_ENDPOINT } from '../targets/local.ts';
import { commandSchema, SCHEMA_FLAGS } from '../model-schema.ts';
import { openTarget, TARGET_FLAGS, targetOptions } from '../targets/open.ts';
import { INTERRUPTED_EXIT, interruptSignal } from '../traffic/interrupt.ts';
import { resolveDriftColumn, runTraffic, TRAFFIC_DEFAULTS } from '../traffic/run.ts';

const t = TRAFFIC_DEFAULTS;

export const trafficCommand = defineCommand({
  name: 'traffic',
  summary: 'Send rows sampled from the dataset to a running model, with capture on, optionally drifted',
  about: `
Samples rows (with replacement) from the dataset's rows without missing values,
drops the target column, and sends them as {"dataframe_records": [...],
"params": {"data_capture": true}}, so the server captures them. Progress goes
to stderr; a summary (sent, failed, predictions per class, latency p50/p99)
ends the run.`,
  notes: 'Exit status: 0 when every request was answered with predictions, 1 otherwise.',
  options: {
    ...TARGET_FLAGS,
    samples: { type: 'string', value: 'N', description: 'rows to send', default: t.samples },
    batch: { type: 'string', value: 'N', description: 'rows per request', default: t.batch },
    concurrency: { type: 'string', value: 'N', description: 'requests in flight at once', default: t.concurrency },
    drift: {
      type: 'boolean',
      description: "add U(1, 3 × std) to the drift column of every row, as the course does\n(body_mass_g), so 'rookery monitor' has drift to find",
    },
    'drift-column': {
      type: 'string',
      value: 'NAME',
      description: "the numeric feature --drift shifts (default: the schema's last numeric\nfeature, body_mass_g for the penguins)",
    },
    seed: { type: 'string', value: 'N', description: 'seed for sampling and drift: the same seed sends the same rows', default: t.seed },
    data: { type: 'string', value: 'FILE', description: 'dataset to sample (default data/penguins.csv, or ROOKERY_DATA)' },
    ...SCHEMA_FLAGS,
  },
  async run({ values, out }) {
    const config = readConfig();
    const concurrency = numberFlag('concurrency', values.concurrency, t.concurrency, { integer: true, min: 1, max: 256 });
    const schema = await commandSchema(values, config);
    if (values['drift-column'] !== undefined && !values.drift) throw new UserError('--drift-column names the column --drift shifts: add --drift', { exitCode: 2 });
    const driftColumn = values.drift ? resolveDriftColumn(schema, values['drift-column']) : undefined;
    const request = {
      dataPath: values.data ?? config.dataPath,
      schemaPath: config.schemaPath,
      schema,
      ...(driftColumn ? { driftColumn } : {}),
      samples: numberFlag('samples', values.samples, t.samples, { integer: true, min: 1 }),
      batch: numberFlag('batch', values.batch, t.batch, { integer: true, min: 1, max: 10_000 }),
      concurrency,
      drift: values.drift ?? false,
      seed: numberFlag('seed', values.seed, t.seed, { integer: true, min: 0 }),
    };
    const target = await openTarget(values.target ?? TARGET_FLAGS.target.default, values.endpoint ?? (values.target && values.target !== 'local' ? '' : DEFAULT_LOCAL_ENDPOINT), {
      ...targetOptions(values),
      concurrency,
    });
    const interrupt = interruptSignal();
    try {
      const summary = await runTraffic(target, { ...request, signal: interrupt.signal }, out);
      if (summary.interrupted) {
        console.error(`rookery traffic: interrupted (Ctrl-C) after ${summary.rows.sent} of ${summary.interrupted.rowsTotal} rows`);
        return INTERRUPTED_EXIT;
      }
      return summary.requests.failed === 0 ? 0 : 1;
    } finally {
      interrupt.dispose();
      await target.close?.();
    }
  },
});
