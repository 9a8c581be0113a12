import { DEFAULT_CAPTURE_URI } from '../../container/capture/open.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { readConfig } from '../config.ts';
import { LABEL_DEFAULTS, runLabel } from '../label/run.ts';
import { commandSchema, SCHEMA_FLAGS } from '../model-schema.ts';

export const labelCommand = defineCommand({
  name: 'label',
  summary: 'Fill in the missing ground truth of captured rows (simulated labeling, as in the course)',
  about: `
Each captured row without ground truth gets a label (a class of the schema's
target, e.g. the penguins' species): the true class when its features equal a
row of the dataset (undrifted traffic), otherwise the model's prediction kept
with probability --accuracy and another class in its place otherwise. The
draw is seeded by the row's id, so labels are reproducible.
Rows that already have a label are never changed: running it twice changes
nothing the second time.

  SQLite (sqlite:///penguins.db): the empty target column (species) is filled in place, in one transaction.
  JSON Lines (file:///dir, s3://…, https://ACCOUNT.blob.core.windows.net/…): SageMaker Model Monitor ground truth is written under
    --ground-truth, one line per captured record that has none yet:
      {"groundTruthData": {"data": "Adelie", "encoding": "CSV"}, "eventMetadata": {"eventId": "<capture's id>"}, "eventVersion": "0"}
    in a new .jsonl file under yyyy/mm/dd/hh of the labeling time. A record with several rows gets
    its rows' labels as one CSV line, in row order ("Adelie,Gentoo,…").`,
  options: {
    datastore: { type: 'string', value: 'URI', description: 'the captures, relative to the working directory', default: DEFAULT_CAPTURE_URI },
    'ground-truth': { type: 'string', value: 'URI', description: 'where ground truth files go (required for JSON Lines captures)' },
    accuracy: { type: 'string', value: 'X', description: 'share of simulated labels equal to the prediction', default: LABEL_DEFAULTS.accuracy },
    seed: { type: 'string', value: 'N', description: "seed mixed into each row's draw", default: LABEL_DEFAULTS.seed },
    data: { type: 'string', value: 'FILE', description: 'dataset holding the true classes (default data/penguins.csv, or ROOKERY_DATA)' },
    ...SCHEMA_FLAGS,
  },
  async run({ values, out }) {
    const config = readConfig();
    await runLabel(
      {
        datastore: values.datastore ?? DEFAULT_CAPTURE_URI,
        ...(values['ground-truth'] ? { groundTruth: values['ground-truth'] } : {}),
        accuracy: numberFlag('accuracy', values.accuracy, LABEL_DEFAULTS.accuracy, { min: 0, max: 1 }),
        seed: numberFlag('seed', values.seed, LABEL_DEFAULTS.seed, { integer: true, min: 0 }),
        dataPath: values.data ?? config.dataPath,
        schemaPath: config.schemaPath,
        schema: await commandSchema(values, config),
      },
      out,
    );
    return 0;
  },
});
