import { CsvSyntaxError, parseCsv } from '../model/csv.ts';
import type { FeatureRow } from '../model/dataset.ts';
import { validateRows } from '../model/predictor.ts';
import type { Schema } from '../model/schema.ts';
import { UserError } from '../model/user-error.ts';
import { runToEnd, type Steps } from './steps.ts';

// Every problem here is the client's to fix. Which HTTP status it gets depends on the step that failed,
// so the errors carry none: invocations.ts answers 415 for parseContentType's and 400 for the parsers'.
const bad = (message: string) => new UserError(message);

export const FORMAT_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
export type InputFormat = (typeof FORMAT_KEYS)[number] | 'csv';

export interface ScoringRequest {
  format: InputFormat;
  /** Rows checked against the schema: every feature key present, values of the right type or null. */
  rows: FeatureRow[];
  params: Record<string, unknown>;
}

/** application/jsonlines (and its aliases, batch-records.ts JSON_LINES_TYPES) in Batch Transform mode only. */
export type MediaType = 'application/json' | 'text/csv' | 'application/jsonlines';

/** A request with more rows than the server takes in one (its 413 names the setting). */
export class TooManyRows extends UserError {
  constructor(readonly limit: number) {
    super(`the request has more than ${limit} rows`);
  }
}

/** Rows between the parsers' yields (see steps.ts). */
const ROWS_PER_STEP = 256;
/** Characters the JSON size check reads between yields. */
const CHARS_PER_STEP = 1 << 18;

/** JSON tokens one row may take, generously (dataframe_records: a brace, a colon and a comma per field). */
const jsonTokenBudget = (schema: Schema, maxRows: number) => 1024 + maxRows * (4 * schema.features.length + 8);

/** The characters that start or separate JSON values: counted to bound a body's tokens. */
const STRUCTURAL = [',', ':', '[', '{'];
const [COMMA, COLON, BRACKET, BRACE] = STRUCTURAL.map((c) => c.charCodeAt(0));

/**
 * The structural characters in the text, strings included, counted with
 * indexOf (native, skipping runs of digits and whitespace) up to one past
 * `budget`: an upper bound of the tokens. Most large bodies are within it and
 * need no character-by-character scan, which took 37 ms of a 6 MB body padded
 * with spaces (bench:serve's large bodies) where this takes 1.5 ms.
 */
function structuralUpperBound(text: string, budget: number): number {
  let n = 0;
  for (const ch of STRUCTURAL) {
    for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) if (++n > budget) return n;
  }
  return n;
}

/**
 * Counts the text's structural JSON tokens ([ { , :) outside strings, in
 * slices, and throws TooManyRows past the budget. JSON.parse cannot be sliced
 * (a 6 MB body of small values holds V8 for over 100 ms), so what it is given
 * is bounded by the row limit first. The cheap upper bound comes first; only
 * a body over it (too many rows, or strings full of commas) is scanned.
 */
function* checkJsonSize(text: string, budget: number, maxRows: number): Steps<void> {
  if (structuralUpperBound(text, budget) <= budget) return;
  let tokens = 0;
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const end = Math.min(text.length, i + CHARS_PER_STEP);
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === 92) i++;
        else if (c === 34) inString = false;
      } else if (c === 34) inString = true;
      else if (c === COMMA || c === COLON || c === BRACKET || c === BRACE) tokens++;
    }
    if (tokens > budget) throw new TooManyRows(maxRows);
    if (i < text.length) yield;
  }
}

/**
 * Accepts only JSON and CSV, with no parameter but charset=utf-8, as MLflow's
 * scoring server does, and in Batch Transform mode (`jsonLines`) JSON Lines
 * under any of `jsonLines`' names. A missing header is read as JSON, the common client default.
 */
export function parseContentType(header: string | undefined, jsonLines: readonly string[] = []): MediaType {
  if (header === undefined || header.trim() === '') return 'application/json';
  const [type, ...parameters] = header.split(';').map((p) => p.trim());
  const lower = type.toLowerCase();
  const media = lower === 'application/json' || lower === 'text/csv' ? lower : jsonLines.includes(lower) ? 'application/jsonlines' : undefined;
  if (!media) {
    throw new UserError(`content type ${JSON.stringify(header)} is not supported`, { fix: `send ${['application/json', ...jsonLines].join(', ')} or text/csv` });
  }
  for (const p of parameters) {
    if (p === '') continue;
    const [key, value = ''] = p.split('=').map((s) => s.trim().toLowerCase());
    if (key !== 'charset' || value.replace(/"/g, '') !== 'utf-8') {
      throw new UserError(`content type parameter ${JSON.stringify(p)} is not supported; only charset=utf-8 is`);
    }
  }
  return media;
}

function checkRows(schema: Schema, rows: unknown[]): FeatureRow[] {
  const issues = validateRows(schema, rows);
  if (issues.length) {
    const shown = issues.slice(0, 10).map((i) => `row ${i.row}${i.field ? `, field "${i.field}"` : ''}: ${i.message}`);
    throw bad(`invalid input: ${shown.join('; ')}${issues.length > 10 ? `; and more` : ''}`);
  }
  return rows as FeatureRow[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rows from a dict of equal-length columns (TF-serving "columnar" instances/inputs). */
function fromColumns(key: string, columns: Record<string, unknown>): unknown[] {
  const entries = Object.entries(columns);
  if (entries.length === 0) return [];
  const lengths = new Set(entries.map(([, v]) => (Array.isArray(v) ? v.length : -1)));
  if (lengths.has(-1) || lengths.size !== 1) {
    throw bad(`"${key}" as an object must map each column to a list, all of the same length`);
  }
  const n = (entries[0][1] as unknown[]).length;
  return Array.from({ length: n }, (_, i) => Object.fromEntries(entries.map(([name, values]) => [name, (values as unknown[])[i]])));
}

function rowsOf(format: (typeof FORMAT_KEYS)[number], value: unknown, schema: Schema): unknown[] {
  switch (format) {
    case 'dataframe_records':
      if (!Array.isArray(value)) throw bad('"dataframe_records" must be a list of objects, one per row');
      return value;
    case 'dataframe_split': {
      if (!isObject(value) || !Array.isArray(value.columns) || !Array.isArray(value.data)) {
        throw bad('"dataframe_split" must be {"columns": [...], "data": [[...], ...]}');
      }
      const columns = value.columns;
      if (!columns.every((c) => typeof c === 'string')) throw bad('"dataframe_split.columns" must be a list of column names');
      const missing = schema.features.map((f) => f.name).filter((name) => !columns.includes(name));
      if (missing.length) throw bad(`"dataframe_split.columns" lacks ${missing.map((m) => `"${m}"`).join(', ')}; every feature column must be present (values may be null)`);
      return value.data.map((row, i) => {
        if (!Array.isArray(row) || row.length !== columns.length) {
          throw bad(`row ${i} of "dataframe_split.data" must be a list of ${columns.length} values, one per column`);
        }
        // A plain loop, not Object.fromEntries: this runs once per row of every request (a third of a 100-row request's time).
        const obj: Record<string, unknown> = {};
        for (let j = 0; j < columns.length; j++) obj[columns[j] as string] = row[j];
        return obj;
      });
    }
    case 'instances':
    case 'inputs':
      if (Array.isArray(value)) {
        if (value.some((r) => !isObject(r))) {
          throw bad(`"${format}" must be a list of objects keyed by column name, or an object of columns; use "dataframe_split" for positional rows`);
        }
        return value;
      }
      if (isObject(value)) return fromColumns(format, value);
      throw bad(`"${format}" must be a list of objects or an object of columns`);
  }
}

/** parseJsonRequest in steps, with a row limit (TooManyRows past it). */
export function* jsonRequestSteps(text: string, schema: Schema, maxRows = Infinity): Steps<ScoringRequest> {
  // A text no longer than the budget cannot hold more tokens than it (most bodies): no scan needed.
  const budget = jsonTokenBudget(schema, maxRows);
  if (text.length > budget) yield* checkJsonSize(text, budget, maxRows);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw bad(`malformed JSON: ${(err as Error).message}`);
  }
  // JSON.parse cannot be cut: when it has used up the slice, the scheduler gives a turn before the rows are built.
  yield;
  if (Array.isArray(body)) {
    throw bad(`the body is a JSON list; wrap the rows in an object with exactly one of ${FORMAT_KEYS.join(', ')}, e.g. {"dataframe_records": [...]}`);
  }
  if (!isObject(body)) throw bad(`the body must be a JSON object with exactly one of ${FORMAT_KEYS.join(', ')}`);
  const present = FORMAT_KEYS.filter((k) => k in body);
  if (present.length !== 1) {
    const found = present.length ? `found ${present.join(' and ')}` : `found keys: ${Object.keys(body).join(', ') || 'none'}`;
    throw bad(`the body must have exactly one of ${FORMAT_KEYS.join(', ')} (${found})`);
  }
  const params = body.params ?? {};
  if (!isObject(params)) throw bad('"params" must be an object');
  if ('data_capture' in params && typeof params.data_capture !== 'boolean') {
    throw bad('"params.data_capture" must be true or false');
  }
  const format = present[0];
  const rows = rowsOf(format, body[format], schema);
  if (rows.length > maxRows) throw new TooManyRows(maxRows);
  yield;
  return { format, rows: checkRows(schema, rows), params };
}

export function parseJsonRequest(text: string, schema: Schema): ScoringRequest {
  return runToEnd(jsonRequestSteps(text, schema));
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * How CSV records under this header become feature rows (request bodies and
 * `rookery score` read CSV alike): fills `into` and returns undefined, or
 * returns the first field that is not a value. Throws when the header lacks a feature column; a repeated name reads its last column.
 */
export function csvFeatureReader(schema: Schema, header: readonly string[]): (fields: readonly string[], into: FeatureRow) => { field: string; message: string } | undefined {
  const missingColumns = schema.features.filter((f) => !header.includes(f.name)).map((f) => f.name);
  if (missingColumns.length) throw bad(`the CSV header lacks ${missingColumns.map((m) => `"${m}"`).join(', ')}; every feature column must be present`);
  const missing = new Set(schema.missingValues);
  const columns = schema.features.map((f) => ({ feature: f, at: header.lastIndexOf(f.name) }));
  return (fields, into) => {
    for (const { feature: f, at } of columns) {
      const raw = fields[at].trim();
      if (missing.has(raw)) into[f.name] = null;
      else if (f.type === 'categorical') into[f.name] = raw;
      else if (NUMBER.test(raw) && Number.isFinite(Number(raw))) into[f.name] = Number(raw);
      else return { field: f.name, message: `expected a finite number or an empty field, got ${JSON.stringify(raw)}` };
    }
    return undefined;
  };
}

/** CSV with a header row; empty fields (and the schema's missing markers) are nulls. */
export function parseCsvRequest(text: string, schema: Schema): ScoringRequest {
  return runToEnd(csvRequestSteps(text, schema));
}

/** parseCsvRequest in steps, with a row limit (TooManyRows past it). */
export function* csvRequestSteps(text: string, schema: Schema, maxRows = Infinity): Steps<ScoringRequest> {
  const records = parseCsv(text);
  const rows: FeatureRow[] = [];
  try {
    const header = records.next();
    if (header.done) throw bad('the CSV body is empty; send a header row naming the columns, then one line per row');
    const names = header.value.fields.map((f) => f.trim());
    const readFeatures = csvFeatureReader(schema, names);
    for (const { fields } of records) {
      const r = rows.length;
      if (r === maxRows) throw new TooManyRows(maxRows);
      if (r % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield;
      if (fields.length !== names.length) throw bad(`CSV row ${r} has ${fields.length} fields but the header has ${names.length}`);
      const row: FeatureRow = {};
      const issue = readFeatures(fields, row);
      if (issue) throw bad(`invalid input: row ${r}, field "${issue.field}": ${issue.message}`);
      rows.push(row);
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw bad(`malformed CSV at line ${err.line}: ${err.message}`);
    throw err;
  }
  return { format: 'csv', rows, params: {} };
}
