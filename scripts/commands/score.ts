import { defineCommand } from '../command.ts';
import { SCORE_FORMATS } from '../score/format.ts';
import { SCORE_TARGET_NAMES, scoreTarget } from '../score/targets.ts';

export const scoreCommand = defineCommand({
  name: 'score',
  summary: 'Score a whole file (CSV, JSON Lines or Parquet) with the model, streaming, into a new file',
  about: `
Reads --input a batch at a time (Parquet: a row group at a time), so memory
stays flat whatever the file's size, and writes --output in the same format:
the input's columns as they were, in the same order, plus prediction and
confidence. Rows that fail the model's validation (the same checks as the
server's) are left out of the output and written to --rejects, one JSON line
each: {"row": N, "line": L, "reason": "...", "input": {...}} (row counts data
rows from 1; line is the text line, for CSV and JSON Lines).
The output is written under a temporary name (an S3 multipart upload) and
appears under its own name only when the whole input is scored: Ctrl-C or an
error leaves no partial file there.
Files are paths (relative to the working directory), file:///abs/path or s3://bucket/key.`,
  notes: `
Exit status: 0 when every row was scored (or at most --max-rejects were
rejected), 1 when more rows were rejected or the input cannot be read,
2 for bad usage, 130 when interrupted.

Examples:
  rookery score --model models:/penguins@champion --input data/penguins.csv --output scores.csv
  rookery score --input s3://bucket/batch/2026-12-01.parquet --output s3://bucket/scores/2026-12-01.parquet`,
  options: {
    target: { type: 'string', value: SCORE_TARGET_NAMES.join('|'), description: 'where the scoring runs', default: 'local' },
    model: {
      type: 'string',
      value: 'M',
      description: "a model directory or registry reference, as for 'rookery serve' (default: MODEL_DIR,\nthen the local registry's penguins@champion)",
    },
    input: { type: 'string', value: 'FILE', description: 'the rows to score: .csv, .jsonl (.ndjson) or .parquet', required: true },
    output: { type: 'string', value: 'FILE', description: "where the scored rows go, in the input's format", required: true },
    rejects: { type: 'string', value: 'FILE', description: 'where rejected rows go (default: next to the output, NAME.rejects.jsonl)' },
    format: { type: 'string', value: SCORE_FORMATS.join('|'), description: "the input's format when its name does not say" },
    'max-rejects': { type: 'string', value: 'N', description: 'rejected rows tolerated with exit status 0', default: 0 },
    'peak-memory': { type: 'boolean', description: "print the process's peak resident memory at the end (benchmarks, tests)" },
  },
  async run({ values, out }) {
    return scoreTarget(values.target)(values, out);
  },
});
