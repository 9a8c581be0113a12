import { randomUUID } from 'node:crypto';
import { hourPrefix } from '../../container/capture/jsonl.ts';
import type { Dataset } from '../../model/dataset.ts';
import { captureRecords } from '../monitor/batch-capture.ts';
import { joinCsvLine, joinKey, readGroundTruth } from '../monitor/sagemaker-records.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { LabelOptions } from './sqlite.ts';
import { OccurrenceIds, rowKey, simulatedLabel, truthIndex, type LabelCounts, type LabelSource } from './truth.ts';

export interface JsonlLabelCounts extends LabelCounts {
  /** Captured records (requests) given ground truth in this run. */
  records: number;
  /** Records that could not be read and so got no label. */
  unreadable: number;
  /** The ground-truth object written, if any. */
  written?: string;
}

/**
 * Writes SageMaker Model Monitor ground truth for every captured record that
 * has none yet: one line per record, `eventMetadata.eventId` set to the id
 * Model Monitor joins on (the capture's inferenceId if present, else its
 * eventId), all of this run's lines in one new object under the yyyy/mm/dd/hh
 * of labeling time (AWS: "the date when the Ground Truth label is collected").
 * Records already labeled are skipped, so a second run writes nothing.
 */
export async function labelJsonl(captures: BlobStore, groundTruth: BlobStore, data: Dataset, options: LabelOptions, now: Date = new Date()): Promise<JsonlLabelCounts> {
  const schema = data.schema;
  const classes = schema.target.classes;
  const existing = await readGroundTruth(groundTruth);
  const truth = truthIndex(data);
  const counts: JsonlLabelCounts = { labeled: 0, fromDataset: 0, simulated: 0, alreadyLabeled: 0, records: 0, unreadable: 0 };
  const lines: string[] = [];
  const seen = new Set<string>();
  const ids = new OccurrenceIds();
  for await (const { outcome } of captureRecords(captures, schema)) {
    if (!outcome.ok) {
      counts.unreadable++;
      continue;
    }
    const { record } = outcome;
    const id = joinKey(record);
    // Every record's rows take their identity, labeled or not, so a row's seed does not depend on what was labeled before.
    const keys = record.rows.map((row) => rowKey(schema, (f) => row[f]));
    const rowIds = keys.map((key) => ids.next(key));
    if (existing.has(id) || seen.has(id)) {
      counts.alreadyLabeled += record.rows.length;
      continue;
    }
    seen.add(id);
    const sources: LabelSource[] = [];
    const labels = keys.map((key, r) => {
      const known = truth.get(key);
      sources.push(known ? 'dataset' : 'simulated');
      if (known) {
        counts.fromDataset++;
        return known;
      }
      counts.simulated++;
      return simulatedLabel(rowIds[r], record.predictions[r].prediction, classes, options.accuracy, options.seed);
    });
    counts.labeled += labels.length;
    counts.records++;
    // rookeryLabelSource: Model Monitor reads only groundTruthData and eventMetadata; the monitor reads this to say which labels were simulated.
    lines.push(JSON.stringify({ groundTruthData: { data: joinCsvLine(labels), encoding: 'CSV' }, eventMetadata: { eventId: id }, eventVersion: '0', rookeryLabelSource: sources.join(',') }));
  }
  if (lines.length) {
    const stamp = now.toISOString().replace(/[-:.]/g, '');
    counts.written = `${hourPrefix(now)}/labels-${stamp}-${randomUUID().slice(0, 8)}.jsonl`;
    await groundTruth.write(counts.written, `${lines.join('\n')}\n`);
  }
  return counts;
}
