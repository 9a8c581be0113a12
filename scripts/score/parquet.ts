import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
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

/** One row group's rows, as hyparquet decodes them (arrays in column order). */
function readGroup(file: AsyncBuffer, metadata: FileMetaData, rowStart: number, rowEnd: number): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    parquetRead({ file, metadata, rowStart, rowEnd, onComplete: (rows) => resolve(rows) }).catch(reject);
  });
}

/** Parquet in, Parquet out: row group by row group, each written as one row group of the scored rows, with the input's column types. */
export async function scoreParquet(job: ScoreJob): Promise<void> {
  const { scorer } = job;
  const file = rangeReader(job);
  const metadata = await parquetMetadataAsync(file).catch((err: Error) => {
    throw new UserError(`--input ${job.input.uri} is not a Parquet file (${err.message})`);
  });
  const { columns, output } = schemas(job, metadata);
  const features = scorer.schema.features.map((f) => ({ name: f.name, at: columns.indexOf(f.name) }));
  const writer = new ParquetWriter({ writer: new PieceWriter(job.output), schema: output, createdBy: 'rookery score' });
  const total = Number(metadata.num_rows);
  let start = 0;
  for (const group of metadata.row_groups) {
    job.signal.throwIfAborted();
    const end = start + Number(group.num_rows);
    const rows = await readGroup(file, metadata, start, end);
    const objects = rows.map((values) => {
      const row: Record<string, unknown> = {};
      // A feature column the file lacks stays absent, so validation names it.
      for (const f of features) if (f.at >= 0) row[f.name] = typeof values[f.at] === 'bigint' ? Number(values[f.at]) : values[f.at];
      return row;
    });
    const problems = scorer.problems(objects);
    const inputOf = (i: number) => Object.fromEntries(columns.map((c, j) => [c, rows[i][j]]));
    const at: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const problem = problems.get(i);
      if (problem) scorer.reject({ row: start + i + 1, reason: problem, input: inputOf(i) });
      else at.push(i);
    }
    const scored = scorer.predict(at.map((i) => objects[i] as FeatureRow), (k) => ({ row: start + at[k] + 1, input: inputOf(at[k]) }));
    const kept = at.filter((_, k) => scored[k]);
    const done = scored.filter((s) => s !== undefined);
    if (kept.length) {
      const columnData = [
        ...columns.map((name, j) => ({ name, data: kept.map((i) => rows[i][j]) })),
        { name: 'prediction', data: done.map((s) => s.prediction) },
        { name: 'confidence', data: done.map((s) => s.confidence) },
      ];
      await writer.write({ columnData, rowGroupSize: kept.length });
    }
    await scorer.endBatch(rows.length);
    start = end;
    job.progress(start, total);
  }
  await writer.finish();
}
