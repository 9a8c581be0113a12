import { readFileSync } from 'node:fs';
import { CsvSyntaxError, parseCsv } from './csv.ts';
import type { Schema } from './schema.ts';
import { UserError } from './user-error.ts';

/** A value of one feature for one row: a number, a category, or missing. */
export type FeatureValue = number | string | null;
export type FeatureRow = Record<string, FeatureValue>;

/**
 * Rows held column by column: numeric features as Float64Array with NaN for
 * missing, categorical ones as strings or null. `target` holds class indices.
 */
export interface Dataset {
  schema: Schema;
  size: number;
  numeric: Record<string, Float64Array>;
  categorical: Record<string, (string | null)[]>;
  target?: Int32Array;
}

/** A data file that cannot be used, pointing at the line and column (a UserError: the CLI prints it as one line). */
export class DatasetError extends UserError {
  /** `line` 0: the file could not be read at all (the message names no line). */
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string | undefined,
    problem: string,
    hint?: string,
  ) {
    const where = line > 0 ? `${file}:${line}${column ? `: column "${column}"` : ''}: ` : `cannot read ${file}: `;
    super(`${where}${problem}${hint ? ` (${hint})` : ''}`);
  }
}

/** Why a file could not be read, in words. */
function readFailure(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder, not a CSV file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface LoadOptions {
  /** Training data must carry the target column; data to score need not. */
  requireTarget: boolean;
}

/** Reads and validates a CSV file against the schema; every error names the file, line and column. */
export function loadDataset(file: string, schema: Schema, options: LoadOptions = { requireTarget: true }): Dataset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DatasetError(file, 0, undefined, readFailure(err));
  }
  return parseDataset(text, file, schema, options);
}

export function parseDataset(text: string, file: string, schema: Schema, options: LoadOptions = { requireTarget: true }): Dataset {
  const expected = schema.features.map((f) => f.name);
  const records = parseCsv(text);
  let header;
  try {
    header = records.next();
  } catch (err) {
    throw asDatasetError(err, file);
  }
  if (header.done) {
    throw new DatasetError(file, 1, undefined, 'the file is empty', `expected a header row with the columns ${[schema.target.name, ...expected].join(', ')}`);
  }
  const names = header.value.fields.map((f) => f.trim());
  const position = new Map(names.map((name, i) => [name, i]));
  for (const name of expected) {
    if (!position.has(name)) {
      throw new DatasetError(file, header.value.line, name, 'the column is missing from the header', `the header has: ${names.join(', ')}`);
    }
  }
  const targetIndex = position.get(schema.target.name);
  if (options.requireTarget && targetIndex === undefined) {
    throw new DatasetError(file, header.value.line, schema.target.name, 'the target column is missing from the header', `the header has: ${names.join(', ')}`);
  }

  const missing = new Set(schema.missingValues);
  const numericCols: Record<string, number[]> = {};
  const categoricalCols: Record<string, (string | null)[]> = {};
  for (const f of schema.features) (f.type === 'numeric' ? numericCols : categoricalCols)[f.name] = [];
  const targets: number[] = [];
  const classIndex = new Map(schema.target.classes.map((c, i) => [c, i]));
  const categorySets = new Map(
    schema.features.flatMap((f) => (f.type === 'categorical' ? [[f.name, new Set(f.categories)] as const] : [])),
  );

  let size = 0;
  try {
    for (const { line, fields } of records) {
      if (fields.length !== names.length) {
        throw new DatasetError(file, line, undefined, `expected ${names.length} fields like the header, found ${fields.length}`);
      }
      for (const f of schema.features) {
        const raw = fields[position.get(f.name)!].trim();
        if (f.type === 'numeric') {
          if (missing.has(raw)) numericCols[f.name].push(Number.NaN);
          else if (NUMBER.test(raw)) numericCols[f.name].push(Number(raw));
          else throw new DatasetError(file, line, f.name, `${JSON.stringify(raw)} is not a number`, 'write a decimal number, or leave the field empty if unknown');
        } else if (missing.has(raw)) {
          categoricalCols[f.name].push(null);
        } else if (categorySets.get(f.name)!.has(raw)) {
          categoricalCols[f.name].push(raw);
        } else {
          throw new DatasetError(file, line, f.name, `unknown category ${JSON.stringify(raw)}`, `allowed: ${f.categories.join(', ')}`);
        }
      }
      if (targetIndex !== undefined) {
        const raw = fields[targetIndex].trim();
        const cls = classIndex.get(raw);
        if (cls === undefined) {
          const problem = missing.has(raw) ? 'the target is missing' : `unknown class ${JSON.stringify(raw)}`;
          throw new DatasetError(file, line, schema.target.name, problem, `allowed: ${schema.target.classes.join(', ')}`);
        }
        targets.push(cls);
      }
      size++;
    }
  } catch (err) {
    throw asDatasetError(err, file);
  }
  if (size === 0) throw new DatasetError(file, 2, undefined, 'the file has a header but no data rows');

  const numeric: Record<string, Float64Array> = {};
  for (const [name, values] of Object.entries(numericCols)) numeric[name] = Float64Array.from(values);
  return {
    schema,
    size,
    numeric,
    categorical: categoricalCols,
    ...(targetIndex !== undefined ? { target: Int32Array.from(targets) } : {}),
  };
}

function asDatasetError(err: unknown, file: string): Error {
  if (err instanceof CsvSyntaxError) return new DatasetError(file, err.line, undefined, err.message);
  return err as Error;
}

/** The rows at the given indices, as a new dataset (used for cross-validation folds). */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const numeric: Record<string, Float64Array> = {};
  const categorical: Record<string, (string | null)[]> = {};
  for (const [name, col] of Object.entries(data.numeric)) numeric[name] = Float64Array.from(indices, (i) => col[i]);
  for (const [name, col] of Object.entries(data.categorical)) categorical[name] = Array.from(indices, (i) => col[i]);
  return {
    schema: data.schema,
    size: indices.length,
    numeric,
    categorical,
    ...(data.target ? { target: Int32Array.from(indices, (i) => data.target![i]) } : {}),
  };
}

/** Row `i` as a plain object, the shape clients send for prediction. */
export function rowAt(data: Dataset, i: number): FeatureRow {
  const row: FeatureRow = {};
  for (const f of data.schema.features) {
    if (f.type === 'numeric') {
      const v = data.numeric[f.name][i];
      row[f.name] = Number.isNaN(v) ? null : v;
    } else {
      row[f.name] = data.categorical[f.name][i];
    }
  }
  return row;
}
