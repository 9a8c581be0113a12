import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineCommand } from '../command.ts';
import { UserError } from '../../model/user-error.ts';
import { commandRegistry, readConfig } from '../config.ts';
import { DEFAULT_ALIAS } from '../../model/defaults.ts';
import { downloadDir, isS3Uri, readText, writeText } from '../pipeline/locations.ts';
import { parseTrainingResult, type RegistrationResult } from '../pipeline/results.ts';
import { registerFlags } from '../registry.ts';

export const modelsRegisterCommand = defineCommand({
  name: 'models register',
  summary: 'Register the model a `rookery train --no-register` run produced, and move an alias to it',
  notes: `
A result whose accuracy was below its threshold ("passed": false) is refused: the gate that let
this step run and the result it read must agree.

Example (what the pipeline's register job runs):
  rookery train --no-register --out model/ --result training.json
  rookery models register --from training.json --alias champion --result registration.json`,
  options: {
    from: {
      type: 'string',
      value: 'RESULT',
      required: true,
      description: 'the JSON `rookery train --result` wrote (a file or an s3:// URI); its "artifact"\n(the train --out folder or s3:// prefix) is what gets registered, linked to its "runId"',
    },
    name: { type: 'string', value: 'NAME', description: 'registered model name (default: the result\'s "name")' },
    ...registerFlags('the version is created in MLflow'),
    result: { type: 'string', value: 'FILE', description: 'write {name, version, alias, runId, accuracy} as JSON to FILE or an s3:// URI' },
  },
  async run({ values, out }) {
    if (!values.from) throw new UserError('--from RESULT is required: the JSON file `rookery train --result` wrote (see `rookery models register --help`)', { exitCode: 2 });
    if (values.alias && values['no-alias']) throw new UserError('--alias and --no-alias contradict each other; pass one', { exitCode: 2 });
    const config = readConfig();
    const training = parseTrainingResult(await readText(values.from), values.from);
    if (!training.passed) {
      throw new UserError(
        `${values.from}: cross-validated accuracy ${training.accuracy.toFixed(4)} is below its threshold ${training.threshold}; refusing to register it`,
      );
    }
    if (!training.artifact) {
      throw new UserError(`${values.from} names no artifact: train with --out DIR (or an s3:// prefix) so there is a model to register`);
    }
    const name = values.name ?? training.name;
    const alias = values['no-alias'] ? null : (values.alias ?? DEFAULT_ALIAS);
    const registry = commandRegistry(config, values.registry);

    const staging = isS3Uri(training.artifact) ? mkdtempSync(join(tmpdir(), 'rookery-register-')) : undefined;
    try {
      if (staging) {
        const files = await downloadDir(training.artifact, staging);
        out(`downloaded the model artifact (${files} files) from ${training.artifact}`);
      }
      const registered = await registry.register(name, staging ?? resolve(training.artifact), {
        alias,
        ...(training.runId ? { runId: training.runId } : {}),
        metrics: { accuracy_mean: training.accuracy, accuracy_std: training.accuracyStd },
      });
      out(`registered ${name} version ${registered.version} in ${registry.location}${alias ? ` and moved alias ${alias} to it` : ''}`);
      if (values.result) {
        const result: RegistrationResult = {
          name,
          version: registered.version,
          alias,
          runId: training.runId,
          accuracy: training.accuracy,
          from: values.from,
          registry: registry.location,
          createdAt: new Date().toISOString(),
        };
        await writeText(values.result, `${JSON.stringify(result, null, 2)}\n`);
        out(`wrote the registration to ${values.result}`);
      }
      return 0;
    } finally {
      if (staging) rmSync(staging, { recursive: true, force: true });
    }
  },
});
