import { readFileSync } from 'node:fs';
import { defineCommand } from '../command.ts';
import { UserError } from '../../model/user-error.ts';
import { DEFAULT_LOCAL_ENDPOINT } from '../targets/local.ts';
import { openTarget, TARGET_FLAGS, targetOptions } from '../targets/open.ts';

/** `--body` is the JSON itself, or @FILE; CSV files are sent as text/csv. */
export function readBody(raw: string | undefined, contentType: string | undefined): { body: unknown; contentType: string } {
  if (raw === undefined) throw new UserError("--body is required: a JSON request body, or @FILE (see 'rookery invoke --help')", { exitCode: 2 });
  let text = raw;
  let fromFile: string | undefined;
  if (raw.startsWith('@')) {
    fromFile = raw.slice(1);
    try {
      text = readFileSync(fromFile, 'utf8');
    } catch (err) {
      throw new UserError(`--body ${raw}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { exitCode: 2 });
    }
  }
  const type = contentType ?? (fromFile?.toLowerCase().endsWith('.csv') ? 'text/csv' : 'application/json');
  if (type.startsWith('application/json')) {
    try {
      return { body: JSON.parse(text), contentType: type };
    } catch (err) {
      throw new UserError(`--body${fromFile ? ` ${raw}` : ''} is not valid JSON (${(err as Error).message})`, { exitCode: 2 });
    }
  }
  return { body: text, contentType: type };
}

export const invokeCommand = defineCommand({
  name: 'invoke',
  summary: 'Send one request to a running model and print the answer',
  notes: `
Example:
  rookery invoke --body '{"dataframe_records": [{"island": "Biscoe", "culmen_length_mm": 48.6,
    "culmen_depth_mm": 16, "flipper_length_mm": 230, "body_mass_g": 5800, "sex": "MALE"}]}'

Exit status: 0 for a 2xx answer, 1 otherwise.`,
  options: {
    ...TARGET_FLAGS,
    body: { type: 'string', value: 'JSON|@FILE', required: true, description: 'the request body (any MLflow scoring format); @file.csv is sent as text/csv' },
    'content-type': { type: 'string', value: 'T', description: 'default application/json (text/csv for a .csv file)' },
    'inference-id': { type: 'string', value: 'ID', description: 'SageMaker InferenceId, captured with the request' },
  },
  async run({ values, out }) {
    const { body, contentType } = readBody(values.body, values['content-type']);
    const target = await openTarget(values.target ?? TARGET_FLAGS.target.default, values.endpoint ?? (values.target && values.target !== 'local' ? '' : DEFAULT_LOCAL_ENDPOINT), targetOptions(values));
    try {
      let result;
      try {
        result = await target.invoke(body, { contentType, ...(values['inference-id'] ? { inferenceId: values['inference-id'] } : {}) });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new UserError(`cannot reach ${target.destination}: ${code ? `${code} ` : ''}${(err as Error).message}${code === 'ECONNREFUSED' ? " (is 'rookery serve' running?)" : ''}`);
      }
      out(`HTTP ${result.status} in ${result.latencyMs.toFixed(1)} ms`);
      out(typeof result.body === 'string' ? result.body : JSON.stringify(result.body, null, 2));
      return result.status >= 200 && result.status < 300 ? 0 : 1;
    } finally {
      await target.close?.();
    }
  },
});
