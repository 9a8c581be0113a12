import type { Schema } from '../../model/schema.ts';
import { openBlobStore } from '../store/open.ts';
import { ColumnBuilder, mostRecent, noCapturesError, type CaptureColumns, type CaptureReader, type ReadOptions, type SkippedRecords } from './capture-reader.ts';
import { assertFolderLocation } from './locations.ts';
import { captureRecords } from './batch-capture.ts';
import { joinKey, readGroundTruth, type GroundTruthLabels } from './sagemaker-records.ts';

const MAX_EXAMPLES = 5;

/**
 * SageMaker Data Capture JSON Lines under a folder or S3 prefix (any depth:
 * `<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl` or the server's own
 * `yyyy/mm/dd/hh/*.jsonl`), and Batch Transform's capture manifests
 * (batch-capture.ts). Each record expands into its rows; ground truth,
 * when given, is joined per record as Model Monitor joins it.
 */
export class JsonlCaptureReader implements CaptureReader {
  constructor(readonly uri: string) {}

  async read(schema: Schema, options: ReadOptions): Promise<CaptureColumns> {
    assertFolderLocation(this.uri, '--datastore');
    if (options.groundTruth) assertFolderLocation(options.groundTruth, '--ground-truth');
    const store = await openBlobStore(this.uri);
    const truth = options.groundTruth ? await readGroundTruth(await openBlobStore(options.groundTruth)) : new Map<string, GroundTruthLabels>();
    const builder = new ColumnBuilder(schema, { ids: true });
    const features = schema.features.map((f) => f.name);
    const skipped = new Map<string, SkippedRecords>();
    const matched = new Set<string>();
    let records = 0;
    let mismatchedLabels = 0;
    for await (const { key, outcome } of captureRecords(store, schema)) {
      if (!outcome.ok) {
        let entry = skipped.get(outcome.reason);
        if (!entry) skipped.set(outcome.reason, (entry = { reason: outcome.reason, count: 0, examples: [] }));
        entry.count++;
        if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(outcome.id ?? key);
        continue;
      }
      records++;
      const { record } = outcome;
      const id = joinKey(record);
      let labels = truth.get(id);
      if (labels) {
        matched.add(id);
        if (labels.values.length !== record.rows.length) {
          mismatchedLabels++;
          labels = undefined;
        }
      }
      for (let r = 0; r < record.rows.length; r++) {
        const row = record.rows[r];
        const p = record.predictions[r];
        const i = builder.add(p.prediction, p.confidence, labels ? labels.values[r] || null : null, record.time, record.eventId, labels?.sources?.[r]);
        for (let k = 0; k < features.length; k++) builder.set(i, k, row[features[k]]);
      }
    }
    const skippedList = [...skipped.values()].sort((a, b) => b.count - a.count);
    if (builder.size === 0) {
      if (skippedList.length) {
        const reasons = skippedList.map((s) => `${s.count} ${s.reason}`).join('; ');
        throw noCapturesError(`${this.uri} (no readable records: ${reasons})`);
      }
      throw noCapturesError(this.uri);
    }
    let unmatched = mismatchedLabels;
    for (const id of truth.keys()) if (!matched.has(id)) unmatched++;
    const columns = builder.finish(this.uri, { skipped: skippedList, records, ...(options.groundTruth ? { unmatchedLabels: unmatched } : {}) });
    return mostRecent(columns, options.samples);
  }
}
