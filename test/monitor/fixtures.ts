// Shared by the monitor, label and traffic tests: the penguins schema and
// data, scratch folders, captures written by the server's own writers, and a
// model served in-process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteCaptureWriter } from '../../container/capture/sqlite.ts';
import { invocations } from '../../container/invocations.ts';
import { writeRecords, type CaptureRecord } from '../../container/capture/sink.ts';
import { loadArtifact, saveArtifact, type LoadedArtifact } from '../../model/artifact.ts';
import { loadDataset, rowAt, type Dataset, type FeatureRow } from '../../model/dataset.ts';
import { loadSchema, type Schema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, fitModel } from '../../model/train.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { ColumnBuilder, type CaptureColumns } from '../../scripts/monitor/capture-reader.ts';

export const schema: Schema = loadSchema(DEFAULT_SCHEMA_PATH);
export const data: Dataset = loadDataset(DEFAULT_DATA_PATH, schema);
export const DATA_PATH = DEFAULT_DATA_PATH;
export const SCHEMA_PATH = DEFAULT_SCHEMA_PATH;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A scratch folder removed after the file's tests. */
export function scratch(prefix = 'rookery-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Dataset rows without missing values, with their species: what traffic sends. */
export function completeRows(): { row: FeatureRow; species: string }[] {
  const out: { row: FeatureRow; species: string }[] = [];
  for (let i = 0; i < data.size; i++) {
    const row = rowAt(data, i);
    if (Object.values(row).every((v) => v !== null)) out.push({ row, species: schema.target.classes[data.target![i]] });
  }
  return out;
}

export interface TestRow {
  row: FeatureRow;
  prediction?: string | null;
  confidence?: number | null;
  label?: string | null;
  time?: number;
}

/** Captured columns built directly, for checks and analysis without a store. */
export function columnsOf(rows: TestRow[], extra: Partial<CaptureColumns> = {}): CaptureColumns {
  const builder = new ColumnBuilder(schema);
  for (const r of rows) {
    const i = builder.add(r.prediction ?? null, r.confidence ?? 0.9, r.label ?? null, r.time ?? Date.parse('2025-01-01T00:00:00Z'));
    schema.features.forEach((f, k) => builder.set(i, k, r.row[f.name]));
  }
  return builder.finish('test', extra);
}

/** Writes captured requests with the server's own SQLite writer (one table row per input row). */
export async function writeSqlite(path: string, records: CaptureRecord[]): Promise<void> {
  const writer = new SqliteCaptureWriter(path, schema);
  try {
    await writeRecords(writer, records);
  } finally {
    await writer.close();
  }
}

let seq = 0;
/** A captured request as the server hands it to capture. */
export function record(rows: FeatureRow[], predictions: string[], time = new Date('2025-03-01T10:00:00Z'), inferenceId?: string): CaptureRecord {
  const body = JSON.stringify({ dataframe_records: rows, params: { data_capture: true } });
  const preds = predictions.map((p) => ({ prediction: p, confidence: 0.9 }));
  return {
    eventId: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    ...(inferenceId ? { inferenceId } : {}),
    time,
    rows,
    predictions: preds,
    requestBody: body,
    requestContentType: 'application/json',
    responseBody: JSON.stringify({ predictions: preds }),
  };
}

let model: LoadedArtifact | undefined;
/** A model fitted on all rows (no cross-validation), saved and loaded like a registered one. */
export function trainedModel(): LoadedArtifact {
  if (model) return model;
  const dir = scratch('rookery-model-');
  const params = fitModel(data, DEFAULT_TRAIN_OPTIONS);
  saveArtifact(dir, params, { evaluation: { folds: [], accuracyMean: 1, accuracyStd: 0, report: { accuracy: 1, perClass: [], confusion: [], classes: [] } }, options: DEFAULT_TRAIN_OPTIONS, rows: data.size }, { example: data });
  model = loadArtifact(dir);
  return model;
}

/**
 * Two hours of SageMaker-format captures (object key → body) under
 * `capture/rookery-penguins/AllTraffic/2025/03/01/{10,11}/`, one record per
 * request of five dataset rows, predictions the true classes: the store a
 * label-then-monitor run over S3 or Azure Blob starts from.
 */
export function twoHoursOfCaptures(): Record<string, string> {
  const objects: Record<string, string> = {};
  for (const hour of ['10', '11']) {
    const lines: string[] = [];
    for (let start = hour === '10' ? 0 : 150; start < (hour === '10' ? 150 : 300); start += 5) {
      const rows = Array.from({ length: 5 }, (_, i) => rowAt(data, start + i));
      const species = rows.map((_, i) => schema.target.classes[data.target![start + i]]);
      lines.push(
        JSON.stringify({
          captureData: {
            endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: JSON.stringify({ dataframe_records: rows }), encoding: 'JSON' },
            endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: JSON.stringify({ predictions: species.map((prediction) => ({ prediction, confidence: 0.9 })) }), encoding: 'JSON' },
          },
          eventMetadata: { eventId: `req-${start}`, inferenceTime: `2025-03-01T${hour}:00:00Z` },
          eventVersion: '0',
        }),
      );
    }
    objects[`capture/rookery-penguins/AllTraffic/2025/03/01/${hour}/capture-${hour}.jsonl`] = lines.join('\n') + '\n';
  }
  return objects;
}

/**
 * What a SageMaker Batch Transform job with Data Capture leaves under `root`
 * (object key → body): two input files in `batch/` (CSV with a header and a
 * line the model rejects; JSON Lines), the answers the serving program gives
 * them in batch mode as `batch-scores/<name>.out`, and the capture manifests
 * naming both under `capture/input/` and `capture/output/` (hour 2026-12-01T09).
 * 40 + 20 records are readable; one is the rejected line.
 */
export function batchTransformCaptures(root: string): Record<string, string> {
  const names = schema.features.map((f) => f.name);
  const pool = completeRows();
  const csvRows = pool.slice(0, 40).map((p) => names.map((n) => p.row[n]).join(','));
  const csv = [names.join(','), ...csvRows.slice(0, 20), 'Biscoe,heavy,16.0,230,5800,MALE', ...csvRows.slice(20)].join('\n') + '\n';
  const jsonl = pool.slice(40, 60).map((p) => JSON.stringify(p.row)).join('\n') + '\n';
  const answer = (body: string, type: string) => {
    const reply = invocations(trainedModel(), body, type, { batch: true, accept: type }).reply;
    if (reply.status !== 200) throw new Error(`batch answer ${reply.status}: ${reply.body}`);
    return `${reply.body}\n`;
  };
  const hour = '2026/12/01/09';
  return {
    'batch/day.csv': csv,
    'batch/day.jsonl': jsonl,
    'batch-scores/day.csv.out': answer(csv, 'text/csv'),
    'batch-scores/day.jsonl.out': answer(jsonl, 'application/jsonlines'),
    [`capture/input/${hour}/manifest-1.json`]: JSON.stringify([{ prefix: `${root}/batch/` }, 'day.csv', 'day.jsonl']),
    [`capture/output/${hour}/manifest-1.json`]: JSON.stringify([{ prefix: `${root}/batch-scores/` }, 'day.csv.out', 'day.jsonl.out']),
  };
}
