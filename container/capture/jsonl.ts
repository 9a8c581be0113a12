import { mkdir, open, truncate } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ByteWriter } from './bytes.ts';
import type { BatchWriter, CaptureRecord } from './sink.ts';

/** SageMaker Data Capture's per-request record (see the Data Capture docs for the schema). */
export function sagemakerCaptureRecord(r: CaptureRecord): object {
  const encoding = (type: string) => (type === 'text/csv' ? 'CSV' : 'JSON');
  const responseType = r.responseContentType ?? 'application/json';
  return {
    captureData: {
      endpointInput: { observedContentType: r.requestContentType, mode: 'INPUT', data: r.requestBody, encoding: encoding(r.requestContentType) },
      endpointOutput: { observedContentType: responseType, mode: 'OUTPUT', data: r.responseBody, encoding: encoding(responseType) },
    },
    eventMetadata: {
      eventId: r.eventId,
      ...(r.inferenceId ? { inferenceId: r.inferenceId } : {}),
      inferenceTime: r.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    eventVersion: '0',
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `yyyy/mm/dd/hh` of the invocation, in UTC, as SageMaker groups capture files. */
export function hourPrefix(time: Date): string {
  return `${time.getUTCFullYear()}/${pad(time.getUTCMonth() + 1)}/${pad(time.getUTCDate())}/${pad(time.getUTCHours())}`;
}

/** `MM-SS-mmm` of the time (UTC), how SageMaker's capture object names begin. */
export function minuteStamp(time: Date): string {
  return `${pad(time.getUTCMinutes())}-${pad(time.getUTCSeconds())}-${String(time.getUTCMilliseconds()).padStart(3, '0')}`;
}

/** Each encoded record starts with its `yyyy/mm/dd/hh/MM-SS-mmm` (ASCII, fixed length): the hour groups it, the stamp names a blob. */
const HOUR_BYTES = 'yyyy/mm/dd/hh'.length;
const STAMP_BYTES = 'yyyy/mm/dd/hh/MM-SS-mmm'.length;
const NEWLINE = 0x0a;

/**
 * A record as every JSON Lines sink (files, blob storage) queues it: its time
 * stamp, then its SageMaker capture line. JSON.stringify escapes newlines, so a
 * newline byte ends each record.
 */
export function encodeJsonlRecord(record: CaptureRecord, out: ByteWriter): void {
  out.text(`${hourPrefix(record.time)}/${minuteStamp(record.time)}`);
  out.text(JSON.stringify(sagemakerCaptureRecord(record)));
  out.u8(NEWLINE);
}

/** One hour's lines of a batch, in order, and the `MM-SS-mmm` of the first. */
export interface JsonlHour {
  lines: Uint8Array[];
  firstStamp: string;
}

/** A batch of encodeJsonlRecord's records, split by `yyyy/mm/dd/hh` (the lines are views into `bytes`). */
export function jsonlBatchByHour(bytes: Uint8Array, count: number): Map<string, JsonlHour> {
  const byHour = new Map<string, JsonlHour>();
  let pos = 0;
  for (let r = 0; r < count; r++) {
    const end = bytes.indexOf(NEWLINE, pos + STAMP_BYTES) + 1;
    if (end === 0) throw new Error(`capture batch ends inside record ${r + 1} of ${count}`);
    const stamp = Buffer.from(bytes.buffer, bytes.byteOffset + pos, STAMP_BYTES).toString('latin1');
    const hour = stamp.slice(0, HOUR_BYTES);
    let group = byHour.get(hour);
    if (!group) byHour.set(hour, (group = { lines: [], firstStamp: stamp.slice(HOUR_BYTES + 1) }));
    group.lines.push(bytes.subarray(pos + STAMP_BYTES, end));
    pos = end;
  }
  return byHour;
}

/** An hour's lines as one buffer (no copy for a single line). */
export function joinLines(lines: Uint8Array[]): Uint8Array {
  return lines.length === 1 ? lines[0] : Buffer.concat(lines);
}

/**
 * Captures as JSON Lines in SageMaker's record format and folder layout, so the
 * same reader handles these files and an endpoint's capture in S3. Each
 * process appends to its own file per hour; a batch is one append per hour it
 * spans, all or nothing. Nothing touches the disk before the first write, so a missing mount
 * is a failed write, retried with the records kept.
 */
export class JsonlCaptureWriter implements BatchWriter {
  readonly description: string;
  private readonly fileName = `${hostname()}-${process.pid}-${Date.now()}.jsonl`;

  constructor(private readonly root: string) {
    this.description = `file:${root}`;
  }

  readonly encode = encodeJsonlRecord;

  async writeBatch(bytes: Uint8Array, count: number): Promise<void> {
    const byHour = jsonlBatchByHour(bytes, count);
    // All or nothing, as the batcher retries a failed batch whole: each file is appended to with its length
    // noted first, and a failure cuts every file this batch touched back to that length.
    const appended: { file: string; size: number }[] = [];
    try {
      for (const [prefix, { lines }] of byHour) {
        const dir = join(this.root, prefix);
        await mkdir(dir, { recursive: true });
        const file = join(dir, this.fileName);
        const handle = await open(file, 'a');
        try {
          appended.push({ file, size: (await handle.stat()).size });
          await handle.writeFile(joinLines(lines));
        } finally {
          await handle.close();
        }
      }
    } catch (err) {
      const undone = await Promise.allSettled(appended.map((a) => truncate(a.file, a.size)));
      const stuck = appended.filter((_, i) => undone[i].status === 'rejected').map((a) => a.file);
      if (stuck.length > 0) (err as Error).message += `; and ${stuck.join(', ')} could not be cut back, so a retry may repeat lines there`;
      throw err;
    }
  }

  close(): void {}
}
