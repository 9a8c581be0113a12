import { DEFAULT_TRAIN_OPTIONS } from '../../model/train.ts';
import { UserError } from '../../model/user-error.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { commandRegistry, readConfig } from '../config.ts';
import { DEFAULT_ACCURACY_THRESHOLD, DEFAULT_ALIAS, DEFAULT_MODEL_NAME } from '../../model/defaults.ts';
import { trainingOutputs } from '../pipeline/train-outputs.ts';
import { openTracker, registerFlags } from '../registry.ts';
import { trainAndRegister } from '../training.ts';

const d = DEFAULT_TRAIN_OPTIONS;

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'Train the classifier with k-fold cross-validation and register it if it is accurate enough',
  notes: 'Exit status: 0 when registered (or trained, with --no-register), 1 when the accuracy is below the threshold or the data is invalid.',
  options: {
    data: { type: 'string', value: 'FILE', description: 'training CSV (default: data/penguins.csv, or ROOKERY_DATA)' },
    schema: { type: 'string', value: 'FILE', description: 'feature schema (default: data/penguins.schema.json, or ROOKERY_SCHEMA)' },
    folds: { type: 'string', value: 'N', description: 'cross-validation folds, at most the number of rows', default: d.folds },
    seed: { type: 'string', value: 'N', description: 'seed for fold shuffling and weight initialization', default: d.seed },
    epochs: { type: 'string', value: 'N', description: 'gradient-descent steps', default: d.epochs, inUsage: false },
    'learning-rate': { type: 'string', value: 'X', description: 'step size', default: d.learningRate, inUsage: false },
    l2: { type: 'string', value: 'X', description: 'L2 penalty', default: d.l2, inUsage: false },
    'accuracy-threshold': { type: 'string', value: 'X', description: 'register only if the mean CV accuracy is at least X', default: DEFAULT_ACCURACY_THRESHOLD },
    name: { type: 'string', value: 'NAME', description: 'registered model name', default: DEFAULT_MODEL_NAME, inUsage: false },
    ...registerFlags('runs and versions go to MLflow instead'),
    out: { type: 'string', value: 'DIR', description: 'also write the model artifact (MLflow model layout) and its report.html to DIR,\nor upload them to an s3:// prefix' },
    'no-register': {
      type: 'boolean',
      description: 'train, save and (with MLflow) log the run, but register nothing and exit 0 whatever the\naccuracy; `rookery models register --from RESULT` registers it later',
    },
    result: {
      type: 'string',
      value: 'FILE',
      description: 'write the outcome as JSON (accuracy, accuracyStd, threshold, passed, runId, registered,\nversion, artifact) to FILE or an s3:// URI, also when the accuracy is below the threshold',
    },
  },
  async run({ values, out }) {
    const config = readConfig();
    const fields = {
      dataPath: values.data ?? config.dataPath,
      schemaPath: values.schema ?? config.schemaPath,
      options: {
        folds: numberFlag('folds', values.folds, d.folds, { integer: true, min: 2 }),
        seed: numberFlag('seed', values.seed, d.seed, { integer: true, min: 0 }),
        epochs: numberFlag('epochs', values.epochs, d.epochs, { integer: true, min: 1 }),
        learningRate: numberFlag('learning-rate', values['learning-rate'], d.learningRate, { min: Number.MIN_VALUE }),
        l2: numberFlag('l2', values.l2, d.l2, { min: 0 }),
      },
      accuracyThreshold: numberFlag('accuracy-threshold', values['accuracy-threshold'], DEFAULT_ACCURACY_THRESHOLD, { min: 0, max: 1 }),
      modelName: values.name ?? DEFAULT_MODEL_NAME,
      alias: values['no-alias'] ? null : (values.alias ?? DEFAULT_ALIAS),
      register: !values['no-register'],
    };
    const outputs = trainingOutputs({ out: values.out, result: values.result }, out);
    try {
      const request = { ...fields, ...(outputs.outDir ? { outDir: outputs.outDir } : {}) };
      const outcome = await trainAndRegister(request, commandRegistry(config, values.registry), out, openTracker(config, out));
      await outputs.finish(request, outcome);
      // Without --out (or MLflow) a rejected model's folder, and the report saying why, are not kept.
      if (outcome.rejected) throw new UserError(outcome.rejected, outputs.outDir || outcome.runId ? {} : { fix: 'pass --out DIR to keep the model and its report.html' });
      return 0;
    } finally {
      outputs.cleanup();
    }
  },
});
