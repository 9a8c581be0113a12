import { UserError } from '../../model/user-error.ts';

export const SCORE_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type ScoreFormat = (typeof SCORE_FORMATS)[number];

const EXTENSIONS: Record<string, ScoreFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet', '.pq': 'parquet' };

/** The format a file's name says (`.csv`, `.jsonl`/`.ndjson`, `.parquet`/`.pq`), if any. */
export function formatOfName(name: string): ScoreFormat | undefined {
  const ext = /\.[a-z]+$/i.exec(name)?.[0].toLowerCase();
  return ext ? EXTENSIONS[ext] : undefined;
}

/** The input's format: --format, else its extension; the output is written in the same one. */
export function scoreFormats(input: string, output: string, flag: string | undefined): ScoreFormat {
  if (flag !== undefined && !(SCORE_FORMATS as readonly string[]).includes(flag)) {
    throw new UserError(`--format ${JSON.stringify(flag)} is not one of ${SCORE_FORMATS.join(', ')}`, { exitCode: 2 });
  }
  const format = (flag as ScoreFormat | undefined) ?? formatOfName(input);
  if (!format) throw new UserError(`cannot tell the format of --input ${input} from its name; pass --format ${SCORE_FORMATS.join('|')}`, { exitCode: 2 });
  const written = formatOfName(output);
  if (written && written !== format) throw new UserError(`--output ${output} names ${written} but the input is ${format}; the output is written in the input's format, so name it .${format}`, { exitCode: 2 });
  return format;
}
