import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type DecodedArray, type FileMetaData, type SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { FeatureRow } from '../../model/dataset.ts';
import { UserError } from '../../model/user-error.ts';
import type { ObjectWriter } from '../store/blob-store.ts';
import { ADDED_COLUMNS, type ScoreJob } from './job.ts';

/** hyparquet reads by byte ranges: the footer first, then each row group's column chunks. */
function rangeReader(job: ScoreJob): AsyncBuffer {
  return {
    byteLength: job.size,
    async slice(start, end = job.size) {
      const bytes = await job.input.store.readRange(job.input.key, start, end);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** The writer hands each row group's bytes to the output as soon as it is encoded, so only one row group is held. */
class PieceWriter extends ByteWriter {
  constructor(private readonly out: ObjectWriter) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const bytes = this.getBytes().slice();
    this.index = 0;
    return this.out.write(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

/** The input's columns, which must be flat (one leaf per top-level column), and the output's schema with ours added. */
function schemas(job: ScoreJob, metadata: FileMetaData): { columns: string[]; output: SchemaElement[] } {
  const [root, ...leaves] = metadata.schema;
  if (leaves.some((e) => e.num_children) || root.num_children !== leaves.length) {
    throw new UserError(`--input ${job.input.uri} has nested columns (structs or lists); rookery score reads flat tables, one value per column`);
  }
  const columns = leaves.map((e) => e.name);
  const taken = ADDED_COLUMNS.filter((c) => columns.includes(c));
  if (taken.length) throw new UserError(`--input ${job.input.uri} already has a ${taken.join(' and ')} column; rename it, since the output adds its own`);
  const added: SchemaElement[] = [
    { name: 'prediction', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'REQUIRED' },
    { name: 'confidence', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  ];
  return { columns, output: [{ ...root, num_children: leaves.length + added.length }, ...leaves, ...added] };
}

/** One row group's columns as hyparquet decodes them, by name, each `rowEnd - rowStart` values long. */
async function readGroup(file: AsyncBuffer, metadata: FileMetaData, rowStart: number, rowEnd: number): Promise<Map<string, DecodedArray>> {
  const pieces = new Map<string, { at: number; data: DecodedArray }[]>();
  await parquetRead({ file, metadata, rowStart, rowEnd, onChunk: ({ columnName, columnData, rowStart: at }) => void (pieces.get(columnName) ?? pieces.set(columnName, []).get(columnName)!).push({ at, data: columnData }) });
  const columns = new Map<string, DecodedArray>();
  for (const [name, parts] of pieces) {
    parts.sort((x, y) => x.at - y.at);
    columns.set(name, parts.length === 1 ? parts[0].data : parts.flatMap((p) => Array.from(p.data as ArrayLike<unknown>)));
  }
  return columns;
}

/** The rows' feature values (bigint read from INT64 as numbers); a feature column the file lacks stays absent, so validation names it. */
function featureRows(columns: Map<string, DecodedArray>, names: readonly string[], count: number): Record<string, unknown>[] {
  const present = names.filter((n) => columns.has(n)).map((n) => ({ name: n, values: columns.get(n)! }));
  const rows: Record<string, unknown>[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const row: Record<string, unknown> = {};
    for (const { name, values } of present) {
      const v: unknown = values[i];
      row[name] = typeof v === 'bigint' ? Number(v) : v;
    }
    rows[i] = row;
  }
  return rows;
}

/** Parquet in, Parquet out: row group by row group, each written as one row group of the scored rows, with the input's column types. */
export async function scoreParquet(job: ScoreJob): Promise<void> {
  const { scorer } = job;
  const file = rangeReader(job);
  const metadata = await parquetMetadataAsync(file).catch((err: Error) => {
    throw new UserError(`--input ${job.input.uri} is not a Parquet file (${err.message})`);
  });
  const { columns, output } = schemas(job, metadata);
  const features = scorer.schema.features.map((f) => f.name);
  // No min/max statistics: they cost a third of the writing time, and a scored batch is read whole, not filtered.
  const writer = new ParquetWriter({ writer: new PieceWriter(job.output), schema: output, statistics: false, createdBy: 'rookery score' });
  const total = Number(metadata.num_rows);
  let start = 0;
  for (const group of metadata.row_groups) {
    job.signal.throwIfAborted();
    const count = Number(group.num_rows);
    const data = await readGroup(file, metadata, start, start + count);
    const rows = featureRows(data, features, count);
    const problems = scorer.problems(rows);
    const inputOf = (i: number) => Object.fromEntries(columns.map((c) => [c, (data.get(c) as ArrayLike<unknown>)[i]]));
    const at: number[] = [];
    for (let i = 0; i < count; i++) {
      const problem = problems.get(i);
      if (problem) scorer.reject({ row: start + i + 1, reason: problem, input: inputOf(i) });
      else at.push(i);
    }
    const scored = scorer.predict(at.map((i) => rows[i] as FeatureRow), (k) => ({ row: start + at[k] + 1, input: inputOf(at[k]) }));
    const done = scored.filter((s) => s !== undefined);
    // Every row scored (the usual case): the columns as read go out as they are.
    const kept = done.length === count ? undefined : at.filter((_, k) => scored[k]);
    if (done.length) {
      const columnData = [
        ...columns.map((name) => ({ name, data: kept ? kept.map((i) => (data.get(name) as ArrayLike<unknown>)[i]) : data.get(name)! })),
        { name: 'prediction', data: done.map((s) => s.prediction) },
        { name: 'confidence', data: Float64Array.from(done, (s) => s.confidence), encoding: 'PLAIN' as const },
      ];
      await writer.write({ columnData, rowGroupSize: done.length });
    }
    await scorer.endBatch(count);
    start += count;
    job.progress(start, total);
  }
  await writer.finish();
}
