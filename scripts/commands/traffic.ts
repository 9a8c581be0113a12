import { defineCommand, numberFlag, UserError } from '../command.ts';
import { readConfig } from '../config.ts';
import { DEFAULT_LOCAL_ENDPOINT } from '../targets/local.ts';
import { openTarget, TARGET_FLAGS, TARGET_HELP, targetOptions } from '../targets/open.ts';
import { commandSchema, SCHEMA_FLAGS, schemaFlagsHelp } from '../model-schema.ts';
import { INTERRUPTED_EXIT, interruptSignal } from '../traffic/interrupt.ts';
import { resolveDriftColumn, runTraffic } from '../traffic/run.ts';

export const trafficCommand = defineCommand({
  name: 'traffic',
  summary: 'Send rows sampled from the dataset to a running model, with capture on, optionally drifted',
  usage: 'rookery traffic [--target local|sagemaker|azure] [--endpoint URL|NAME] [--samples 200] [--drift [--drift-column NAME]] [--model M | --schema FILE] [--data FILE] [--batch 10] [--concurrency 4] [--seed 42]',
  help: `
Samples rows (with replacement) from the dataset's rows without missing values,
drops the target column, and sends them as {"dataframe_records": [...],
"params": {"data_capture": true}}, so the server captures them. Progress goes
to stderr; a summary (sent, failed, predictions per class, latency p50/p99)
ends the run.

Options:${TARGET_HELP}
  --samples N             rows to send (default 200)
  --batch N               rows per request (default 10)
  --concurrency N         requests in flight at once (default 4)
  --drift                 add U(1, 3 × std) to the drift column of every row, as the course does
                          (body_mass_g), so 'rookery monitor' has drift to find
  --drift-column NAME     the numeric feature --drift shifts (default: the schema's last numeric
                          feature, body_mass_g for the penguins)
  --seed N                seed for sampling and drift (default 42): the same seed sends the same rows
  --data FILE             dataset to sample (default data/penguins.csv, or ROOKERY_DATA)${schemaFlagsHelp(26)}

Exit status: 0 when every request was answered with predictions, 1 otherwise.`,
  options: {
    ...TARGET_FLAGS,
    samples: { type: 'string' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    drift: { type: 'boolean' },
    'drift-column': { type: 'string' },
    ...SCHEMA_FLAGS,
    seed: { type: 'string' },
    data: { type: 'string' },
  },
  async run({ values, out }) {
    const config = readConfig();
    const concurrency = numberFlag('concurrency', values.concurrency, 4, { integer: true, min: 1, max: 256 });
    const schema = await commandSchema(values, config);
    if (values['drift-column'] !== undefined && !values.drift) throw new UserError('--drift-column names the column --drift shifts: add --drift', 2);
    const driftColumn = values.drift ? resolveDriftColumn(schema, values['drift-column']) : undefined;
    const request = {
      dataPath: values.data ?? config.dataPath,
      schemaPath: config.schemaPath,
      schema,
      ...(driftColumn ? { driftColumn } : {}),
      samples: numberFlag('samples', values.samples, 200, { integer: true, min: 1 }),
      batch: numberFlag('batch', values.batch, 10, { integer: true, min: 1, max: 10_000 }),
      concurrency,
      drift: values.drift ?? false,
      seed: numberFlag('seed', values.seed, 42, { integer: true, min: 0 }),
    };
    const target = await openTarget(values.target ?? 'local', values.endpoint ?? (values.target && values.target !== 'local' ? '' : DEFAULT_LOCAL_ENDPOINT), {
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
