import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatModelRef, parseModelRef } from '../../model/reference.ts';
import { UserError } from '../../model/user-error.ts';
import { defineCommand } from '../command.ts';
import { commandRegistry, readConfig } from '../config.ts';
import { DEFAULT_ALIAS, DEFAULT_MODEL_NAME } from '../../model/defaults.ts';
import { table } from '../format.ts';
import { registryFlag } from '../registry.ts';
import { REPORT_FILE } from '../train-report/render.ts';

const registryOption = registryFlag("MLflow's model registry");

export const modelsListCommand = defineCommand({
  name: 'models list',
  summary: 'List registered models, their versions and aliases',
  options: registryOption,
  async run({ values, out }) {
    const registry = commandRegistry(readConfig(), values.registry);
    const models = await registry.list();
    if (models.length === 0) {
      out(`no models registered in ${registry.location}; run \`rookery train\` (or \`npm start\`) first`);
      return 0;
    }
    const rows = models.flatMap((m) =>
      m.versions.map((v) => [m.name, v.version, v.aliases.join(',') || '-', v.createdAt, v.metrics?.accuracy_mean?.toFixed(4) ?? '-']),
    );
    out(table(['model', 'version', 'aliases', 'created', 'cv accuracy'], rows));
    return 0;
  },
});

export const modelsShowCommand = defineCommand({
  name: 'models show',
  summary: 'Show one model version: aliases, metrics, signature and where its training report is',
  args: `[${DEFAULT_MODEL_NAME}@${DEFAULT_ALIAS} | models:/NAME/VERSION]`,
  about: `
The reference may be NAME@ALIAS, NAME/VERSION, NAME (the latest version), with or without
the models:/ prefix. Default: ${DEFAULT_MODEL_NAME}@${DEFAULT_ALIAS}.`,
  options: registryOption,
  allowPositionals: true,
  async run({ values, positionals, out }) {
    if (positionals.length > 1) throw new UserError(`expected one model reference, got ${positionals.length}`, { exitCode: 2 });
    const ref = parseModelRef(positionals[0] ?? `${DEFAULT_MODEL_NAME}@${DEFAULT_ALIAS}`);
    const registry = commandRegistry(readConfig(), values.registry);
    const { info, dir } = await registry.resolve(ref);
    const mlmodel = parseYaml(readFileSync(join(dir, 'MLmodel'), 'utf8')) as { signature?: { inputs?: string }; flavors?: Record<string, unknown> };
    const inputs = JSON.parse(mlmodel.signature?.inputs ?? '[]') as { name: string; type: string }[];
    // Versions trained before the report existed have none.
    const report = join(dir, REPORT_FILE);
    out(
      [
        `${formatModelRef({ name: info.name, version: info.version })}`,
        `  aliases:   ${info.aliases.join(', ') || '-'}`,
        `  created:   ${info.createdAt}`,
        ...(info.runId ? [`  run id:    ${info.runId}`] : []),
        `  flavors:   ${Object.keys(mlmodel.flavors ?? {}).join(', ')}`,
        `  location:  ${dir}`,
        ...(existsSync(report) ? [`  report:    ${report}`] : []),
        ...Object.entries(info.metrics ?? {}).map(([k, v]) => `  ${`${k}:`.padEnd(10)} ${v.toFixed(4)}`),
        `  inputs:    ${inputs.map((c) => `${c.name} (${c.type})`).join(', ')}`,
      ].join('\n'),
    );
    return 0;
  },
});
