import type { LoadedArtifact } from '../model/artifact.ts';
import { csvField, CsvSyntaxError, parseCsv } from '../model/csv.ts';
import type { FeatureRow } from '../model/dataset.ts';
import { validateRows, type Prediction } from '../model/predictor.ts';
import type { Schema } from '../model/schema.ts';
import { csvFeatureReader, type MediaType } from './protocol.ts';
import { errorReply, type Reply } from './reply.ts';
import { runToEnd, type Steps } from './steps.ts';

/**
 * Batch Transform's multi-record bodies (SplitType=Line, BatchStrategy=MultiRecord):
 * CSV or JSON Lines, one record per line, answered with one output record per
 * input record, in order, so SageMaker's AssembleWith=Line output (and
 * JoinSource=Input) lines up with the input file. A record that fails
 * validation is answered with an error record in its place, the placeholder
 * SageMaker's Batch Transform page suggests, instead of failing the whole
 * mini-batch: a 4xx would fail the input file after retries and leave no
 * output for any of its records.
 */

/** The JSON Lines media types SageMaker jobs are written with; the first is the one SageMaker's data processing page names. */
export const JSON_LINES_TYPES = ['application/jsonlines', 'application/jsonl', 'application/x-jsonlines'] as const;

export type AnswerFormat = 'csv' | 'jsonl' | 'json';

/** What the answer is written as, and the Content-Type it is sent with. */
export interface Answer {
  format: AnswerFormat;
  contentType: string;
}

/** The CSV answer's columns: a record's prediction and confidence, or its error. */
export const CSV_ANSWER_HEADER = 'prediction,confidence,error';

const ANSWERS: Record<string, AnswerFormat> = {
  'text/csv': 'csv',
  'application/json': 'json',
  ...Object.fromEntries(JSON_LINES_TYPES.map((t) => [t, 'jsonl'])),
};

const FORMAT_OF_REQUEST: Record<MediaType, Answer> = {
  'text/csv': { format: 'csv', contentType: 'text/csv' },
  'application/jsonlines': { format: 'jsonl', contentType: 'application/jsonlines' },
  'application/json': { format: 'json', contentType: 'application/json' },
};

/**
 * The answer's format from Accept (the transform job's TransformOutput.Accept):
 * the first supported type listed with q above 0; none, or only wildcards,
 * answer in the request's own format. 406 when nothing listed is supported.
 */
export function answerFor(accept: string | undefined, request: MediaType): Answer | Reply {
  if (accept === undefined || accept.trim() === '') return FORMAT_OF_REQUEST[request];
  let wildcard = false;
  for (const entry of accept.split(',')) {
    const [type, ...params] = entry.split(';').map((p) => p.trim().toLowerCase());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) continue;
    if (type === '*/*' || type === 'application/*' || type === 'text/*') wildcard = true;
    else if (Object.hasOwn(ANSWERS, type)) return { format: ANSWERS[type], contentType: type };
  }
  if (wildcard) return FORMAT_OF_REQUEST[request];
  return errorReply(406, 'NOT_ACCEPTABLE', `Accept ${JSON.stringify(accept)} lists no type this server answers with; accept one of ${Object.keys(ANSWERS).join(', ')}`);
}

/** One input record's outcome: the index of its row among the valid ones, an error message, or the CSV header line. */
type Outcome = number | { error: string } | 'header';

/** Lines between the parser's yields (see steps.ts). */
const LINES_PER_STEP = 256;

function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const record = parseCsv(line).next();
  return record.done ? [''] : record.value.fields;
}

/** A record line's reader: fills `into`, or returns what is wrong with the line. */
export type LineReader = (line: string, into: FeatureRow) => string | undefined | 'header';

function csvLineReader(schema: Schema): LineReader {
  const names = schema.features.map((f) => f.name);
  // Batch Transform splits the file by line, so only the first mini-batch could carry a header: records are read in the schema's column order.
  const readFeatures = csvFeatureReader(schema, names);
  return (line, into) => {
    let fields: string[];
    try {
      fields = csvFields(line);
    } catch (err) {
      if (err instanceof CsvSyntaxError) return `malformed CSV: ${err.message}`;
      throw err;
    }
    if (fields.length === names.length && fields.every((f, i) => f.trim() === names[i])) return 'header';
    if (fields.length !== names.length) return `expected ${names.length} fields (${names.join(', ')}, in this order), got ${fields.length}`;
    const issue = readFeatures(fields, into);
    return issue && `field "${issue.field}": ${issue.message}`;
  };
}

function jsonLineReader(schema: Schema): LineReader {
  const names = schema.features.map((f) => f.name);
  return (line, into) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return `malformed JSON: ${(err as Error).message}`;
    }
    // A list is the record's values in the schema's column order, as a CSV line is.
    if (Array.isArray(value)) {
      if (value.length !== names.length) return `expected a list of ${names.length} values (${names.join(', ')}), got ${value.length}`;
      value = Object.fromEntries(names.map((n, i) => [n, (value as unknown[])[i]]));
    }
    const issue = validateRows(schema, [value], 1)[0];
    if (issue) return issue.field ? `field "${issue.field}": ${issue.message}` : issue.message;
    for (const n of names) into[n] = (value as FeatureRow)[n];
    return undefined;
  };
}

/** The reader of one record line of a multi-record body: the server's, and the monitor's for Batch Transform captures. */
export function recordLineReader(schema: Schema, mediaType: 'text/csv' | 'application/jsonlines'): LineReader {
  return mediaType === 'text/csv' ? csvLineReader(schema) : jsonLineReader(schema);
}

/** Each non-blank line of the body as a record: the valid ones' rows (and their line numbers), and every record's outcome in order. */
function* readRecords(body: string, reader: LineReader): Steps<{ rows: FeatureRow[]; rowLines: number[]; outcomes: Outcome[] }> {
  const rows: FeatureRow[] = [];
  const rowLines: number[] = [];
  const outcomes: Outcome[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i % LINES_PER_STEP === LINES_PER_STEP - 1) yield;
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    const row: FeatureRow = {};
    const problem = reader(line, row);
    if (problem === 'header') outcomes.push('header');
    else if (problem) outcomes.push({ error: `invalid input: line ${i + 1}: ${problem}` });
    else {
      outcomes.push(rows.push(row) - 1);
      rowLines.push(i + 1);
    }
  }
  return { rows, rowLines, outcomes };
}

function csvRecord(o: Outcome, predictions: Prediction[]): string {
  if (o === 'header') return CSV_ANSWER_HEADER;
  if (typeof o === 'number') return `${csvField(predictions[o].prediction)},${predictions[o].confidence},`;
  return `,,${csvField(o.error)}`;
}

function jsonRecord(o: Outcome, predictions: Prediction[]): object {
  if (o === 'header') return { error: 'the CSV header line, not a record' };
  return typeof o === 'number' ? predictions[o] : o;
}

/** Records written between yields (see steps.ts). */
const RECORDS_PER_STEP = 4096;

/** The answer: a line per record (CSV, JSON Lines; no newline after the last, as AssembleWith=Line adds one) or MLflow's {"predictions": [...]}. */
function* answerSteps(outcomes: Outcome[], predictions: Prediction[], answer: Answer): Steps<string> {
  if (answer.format === 'json') return JSON.stringify({ predictions: outcomes.map((o) => jsonRecord(o, predictions)) });
  const lines = new Array<string>(outcomes.length);
  for (let i = 0; i < outcomes.length; i++) {
    if (i % RECORDS_PER_STEP === RECORDS_PER_STEP - 1) yield;
    lines[i] = answer.format === 'csv' ? csvRecord(outcomes[i], predictions) : JSON.stringify(jsonRecord(outcomes[i], predictions));
  }
  return lines.join('\n');
}

/** Predictions of one request (an MLflow JSON body in Batch Transform mode) in the answer's format. */
export function predictionsBody(predictions: Prediction[], answer: Answer): string {
  return runToEnd(answerSteps(predictions.map((_, i) => i), predictions, answer));
}

export interface ScoredRecords {
  reply: Reply;
  /** The valid records' rows and predictions, for capture. */
  rows: FeatureRow[];
  predictions: Prediction[];
}

/**
 * A multi-record body scored: `predict` scores the valid rows in steps. A
 * prediction the model's arithmetic overflowed on (finite but extreme
 * inputs) becomes that record's error.
 */
export function* recordSteps(
  model: LoadedArtifact,
  body: string,
  mediaType: 'text/csv' | 'application/jsonlines',
  answer: Answer,
  predict: (rows: FeatureRow[]) => Steps<Prediction[]>,
): Steps<ScoredRecords> {
  const schema = model.params.schema;
  const { rows, rowLines, outcomes } = yield* readRecords(body, recordLineReader(schema, mediaType));
  const scored = yield* predict(rows);
  const keep = scored.map((p) => Number.isFinite(p.confidence));
  const kept = keep.every(Boolean) ? { rows, predictions: scored } : { rows: rows.filter((_, i) => keep[i]), predictions: scored.filter((_, i) => keep[i]) };
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    if (typeof o === 'number' && !keep[o]) outcomes[i] = { error: `invalid input: line ${rowLines[o]}: the values are too far out of range to score` };
  }
  const reply: Reply = { status: 200, contentType: answer.contentType, body: yield* answerSteps(outcomes, scored, answer) };
  return { reply, ...kept };
}
