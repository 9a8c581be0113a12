import { csvFeatureReader } from '../../container/protocol.ts';
import { csvField as field, CsvSyntaxError, parseCsvChunks, type CsvRecord } from '../../model/csv.ts';
import type { FeatureRow } from '../../model/dataset.ts';
import { UserError } from '../../model/user-error.ts';
import { ADDED_COLUMNS, textPieces, type ScoreJob } from './job.ts';

const encoder = new TextEncoder();
/**
 * Numbers as `String(n)` writes them, for finite n. Not through String(n) or a
 * template: those go through V8's number-to-string cache, an old-generation
 * table, so every confidence it holds at a scavenge is promoted, and scoring
 * a file left tens of MB of old strings behind (bench:score). JSON.stringify
 * formats numbers without that cache and, for finite ones, identically.
 */
const numberTexts = (values: number[]) => JSON.stringify(values).slice(1, -1).split(',');
const byName = (header: string[], fields: string[]) => Object.fromEntries(header.map((name, j) => [name, fields[j]]));

/** CSV in, CSV out: the input's fields as they were (quoted again where they must be), then prediction and confidence. */
export async function scoreCsv(job: ScoreJob): Promise<void> {
  const { scorer } = job;
  let header: string[] | undefined;
  let readFeatures: ReturnType<typeof csvFeatureReader> | undefined;
  let row = 0;
  try {
    for await (const records of parseCsvChunks(textPieces(job))) {
      job.signal.throwIfAborted();
      let out = '';
      let first = 0;
      if (!header && records.length) {
        header = records[0].fields.map((f) => f.trim());
        const taken = ADDED_COLUMNS.filter((c) => header!.includes(c));
        if (taken.length) throw new UserError(`--input ${job.input.uri} already has a ${taken.join(' and ')} column; rename it, since the output adds its own`);
        readFeatures = csvFeatureReader(job.scorer.schema, header);
        out = [...records[0].fields, ...ADDED_COLUMNS].map(field).join(',') + '\n';
        first = 1;
      }
      const valid: FeatureRow[] = [];
      const kept: CsvRecord[] = [];
      const numbers: number[] = [];
      for (let i = first; i < records.length; i++) {
        const { line, fields } = records[i];
        row++;
        if (fields.length !== header!.length) {
          scorer.reject({ row, line, reason: `the line has ${fields.length} fields but the header has ${header!.length}`, input: fields });
          continue;
        }
        const features: FeatureRow = {};
        const issue = readFeatures!(fields, features);
        if (issue) {
          scorer.reject({ row, line, reason: `field "${issue.field}": ${issue.message}`, input: byName(header!, fields) });
          continue;
        }
        valid.push(features);
        kept.push(records[i]);
        numbers.push(row);
      }
      const scored = scorer.predict(valid, (i) => ({ row: numbers[i], line: kept[i].line, input: byName(header!, kept[i].fields) }));
      const confidences = numberTexts(scored.map((s) => s?.confidence ?? 0));
      for (let i = 0; i < scored.length; i++) {
        const s = scored[i];
        if (!s) continue;
        const { text, fields } = kept[i];
        out += `${text ?? fields.map(field).join(',')},${field(s.prediction)},${confidences[i]}\n`;
      }
      await scorer.endBatch(records.length - first);
      if (out) await job.output.write(encoder.encode(out));
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new UserError(`--input ${job.input.uri}: malformed CSV at line ${err.line}: ${err.message}`);
    throw err;
  }
  if (!header) throw new UserError(`--input ${job.input.uri} is empty; it needs a header row naming the columns`);
}
