import type { FeatureRow } from '../../model/dataset.ts';
import type { Schema } from '../../model/schema.ts';
import { parseCsvRequest, parseJsonRequest } from '../../container/protocol.ts';
import { labelSourceCode } from './capture-reader.ts';
import type { BlobStore } from '../store/blob-store.ts';

/** One captured request from SageMaker Data Capture (or the server's JSON Lines sink), expanded into rows. */
export interface CapturedRecord {
  eventId: string;
  /** The caller's InferenceId when there was one: Model Monitor then joins ground truth on it. */
  inferenceId?: string;
  /** inferenceTime, epoch ms (NaN when absent). */
  time: number;
  rows: FeatureRow[];
  predictions: { prediction: string | null; confidence: number | null }[];
}

export type RecordOutcome = { ok: true; record: CapturedRecord } | { ok: false; reason: string; id?: string };

/** The id ground truth is matched on: inferenceId when the capture has one, else eventId (Model Monitor's rule). */
export const joinKey = (r: { eventId: string; inferenceId?: string }) => r.inferenceId ?? r.eventId;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of a captured payload: BASE64 is what SageMaker writes for content types not declared as CSV or JSON. */
function payloadText(part: Record<string, unknown>): string | undefined {
  if (typeof part.data !== 'string') return undefined;
  return String(part.encoding ?? '').toUpperCase() === 'BASE64' ? Buffer.from(part.data, 'base64').toString('utf8') : part.data;
}

function isCsv(part: Record<string, unknown>): boolean {
  const type = String(part.observedContentType ?? '').toLowerCase();
  if (type) return type.includes('csv');
  return String(part.encoding ?? '').toUpperCase() === 'CSV';
}

function predictionsOf(text: string): CapturedRecord['predictions'] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const list = Array.isArray(body) ? body : isObject(body) ? body.predictions : undefined;
  if (!Array.isArray(list)) return undefined;
  return list.map((p) => {
    if (isObject(p)) {
      return {
        prediction: typeof p.prediction === 'string' ? p.prediction : p.prediction === undefined || p.prediction === null ? null : String(p.prediction),
        confidence: typeof p.confidence === 'number' ? p.confidence : null,
      };
    }
    return { prediction: p === null || p === undefined ? null : String(p), confidence: null };
  });
}

/**
 * Reads one JSON Lines record. The request is parsed with the server's own
 * parsers (any of the four MLflow JSON formats, or CSV with a header), so
 * what the monitor sees is what the model saw. A record it cannot read is
 * returned with the reason, never thrown.
 */
export function parseCaptureLine(line: string, schema: Schema): RecordOutcome {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not a JSON object' };
  }
  if (!isObject(raw)) return { ok: false, reason: 'not a JSON object' };
  const meta = isObject(raw.eventMetadata) ? raw.eventMetadata : {};
  const eventId = typeof meta.eventId === 'string' ? meta.eventId : undefined;
  if (!eventId) return { ok: false, reason: 'no eventMetadata.eventId' };
  const capture = isObject(raw.captureData) ? raw.captureData : {};
  const input = isObject(capture.endpointInput) ? capture.endpointInput : undefined;
  const output = isObject(capture.endpointOutput) ? capture.endpointOutput : undefined;
  if (!input) return { ok: false, reason: 'no captureData.endpointInput', id: eventId };
  if (!output) return { ok: false, reason: 'no captureData.endpointOutput', id: eventId };
  const inputText = payloadText(input);
  if (inputText === undefined) return { ok: false, reason: 'endpointInput has no data', id: eventId };
  const outputText = payloadText(output);
  if (outputText === undefined) return { ok: false, reason: 'endpointOutput has no data', id: eventId };

  let rows: FeatureRow[];
  try {
    rows = (isCsv(input) ? parseCsvRequest(inputText, schema) : parseJsonRequest(inputText, schema)).rows;
  } catch (err) {
    const message = (err as Error).message;
    return { ok: false, reason: /lacks|missing/i.test(message) ? 'input lacks feature columns' : 'input is not a request the model accepts', id: eventId };
  }
  const predictions = predictionsOf(outputText);
  if (!predictions) return { ok: false, reason: 'output has no predictions list', id: eventId };
  if (predictions.length !== rows.length) return { ok: false, reason: 'output has a different number of predictions than input rows', id: eventId };
  const time = typeof meta.inferenceTime === 'string' ? Date.parse(meta.inferenceTime) : Number.NaN;
  return {
    ok: true,
    record: { eventId, ...(typeof meta.inferenceId === 'string' && meta.inferenceId ? { inferenceId: meta.inferenceId } : {}), time, rows, predictions },
  };
}

/** Objects read ahead of the one being parsed: S3 answers each GET in tens of milliseconds, so reading one at a time would wait on the network for most of a large prefix. */
export const READ_AHEAD = 32;

/**
 * Every line of every .jsonl object under the store, in key order (yyyy/mm/dd/hh sorts by time), with up to READ_AHEAD objects being fetched meanwhile.
 * `others` is given every other key listed, so a caller can find other objects in the same listing.
 */
export async function* jsonlLines(store: BlobStore, others?: (key: string) => void): AsyncGenerator<{ key: string; line: string }> {
  const keys = store.list()[Symbol.asyncIterator]();
  const queue: { key: string; body: Promise<Buffer> }[] = [];
  let listed = false;
  for (;;) {
    while (!listed && queue.length < READ_AHEAD) {
      const next = await keys.next();
      if (next.done) listed = true;
      else if (next.value.endsWith('.jsonl')) {
        const body = store.read(next.value);
        // Its error is raised when its turn comes; until then it must not count as unhandled.
        body.catch(() => {});
        queue.push({ key: next.value, body });
      } else others?.(next.value);
    }
    const item = queue.shift();
    if (!item) return;
    const text = (await item.body).toString('utf8');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end).trim();
      if (line) yield { key: item.key, line };
      start = end + 1;
    }
  }
}

/** One record's labels, and where `rookery label` says each came from (LABEL_SOURCE codes) when it wrote them. */
export interface GroundTruthLabels {
  values: string[];
  sources?: number[];
}

/**
 * Labels per captured record from Model Monitor ground-truth files
 * (`{"groundTruthData": {"data": "Adelie", "encoding": "CSV"}, "eventMetadata": {"eventId": …}}`).
 * `data` is one CSV line holding each row's label in order; a single-row
 * record has exactly AWS's one-label form. A JSON list (the course's files) is read too.
 */
export async function readGroundTruth(store: BlobStore): Promise<Map<string, GroundTruthLabels>> {
  const labels = new Map<string, GroundTruthLabels>();
  for await (const { line } of jsonlLines(store)) {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isObject(raw) || !isObject(raw.groundTruthData) || !isObject(raw.eventMetadata)) continue;
    const id = raw.eventMetadata.eventId;
    if (typeof id !== 'string') continue;
    const data = raw.groundTruthData.data;
    let values: string[] | undefined;
    if (Array.isArray(data)) values = data.map((v) => String(v));
    else if (typeof data === 'string') {
      const text = String(raw.groundTruthData.encoding ?? '').toUpperCase() === 'BASE64' ? Buffer.from(data, 'base64').toString('utf8') : data;
      values = splitCsvLine(text.trim());
    }
    if (!values) continue;
    const sources = typeof raw.rookeryLabelSource === 'string' ? raw.rookeryLabelSource.split(',') : [];
    labels.set(id, { values, ...(sources.length === values.length ? { sources: sources.map(labelSourceCode) } : {}) });
  }
  return labels;
}

/** One CSV line into fields (quotes allowed, as labels containing commas would need). */
export function splitCsvLine(text: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Labels as one CSV line, quoting only what needs it. */
export function joinCsvLine(values: readonly string[]): string {
  return values.map((v) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',');
}
