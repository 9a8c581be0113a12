import { mkdir, open, truncate } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ByteWriter } from './bytes.ts';
import type { BatchWriter, CaptureRecord } from './sink.ts';

/** SageMaker Data Capture's per-request record (see the Data Capture docs for the schema). */
export function sagemakerCaptureRecord(r: CaptureRecord): object {
  const encoding = r.requestContentType === 'text/csv' ? 'CSV' : 'JSON';
  return {
    captureData: {
      endpointInput: { observedContentType: r.requestContentType, mode: 'INPUT', data: r.requestBody, encoding },
      endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: r.responseBody, encoding: 'JSON' },
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

const PREFIX_BYTES = 'yyyy/mm/dd/hh'.length;
const NEWLINE = 0x0a;

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

  /** The record's hour folder, then its line. JSON.stringify escapes newlines, so a newline byte ends each record. */
  encode(record: CaptureRecord, out: ByteWriter): void {
    out.text(hourPrefix(record.time));
    out.text(JSON.stringify(sagemakerCaptureRecord(record)));
    out.u8(NEWLINE);
  }

  async writeBatch(bytes: Uint8Array, count: number): Promise<void> {
    const byHour = new Map<string, Uint8Array[]>();
    let pos = 0;
    for (let r = 0; r < count; r++) {
      const end = bytes.indexOf(NEWLINE, pos + PREFIX_BYTES) + 1;
      if (end === 0) throw new Error(`capture batch ends inside record ${r + 1} of ${count}`);
      const prefix = Buffer.from(bytes.buffer, bytes.byteOffset + pos, PREFIX_BYTES).toString('latin1');
      let lines = byHour.get(prefix);
      if (!lines) byHour.set(prefix, (lines = []));
      lines.push(bytes.subarray(pos + PREFIX_BYTES, end));
      pos = end;
    }
    // All or nothing, as the batcher retries a failed batch whole: each file is appended to with its length
    // noted first, and a failure cuts every file this batch touched back to that length.
    const appended: { file: string; size: number }[] = [];
    try {
      for (const [prefix, lines] of byHour) {
        const dir = join(this.root, prefix);
        await mkdir(dir, { recursive: true });
        const file = join(dir, this.fileName);
        const handle = await open(file, 'a');
        try {
          appended.push({ file, size: (await handle.stat()).size });
          await handle.writeFile(lines.length === 1 ? lines[0] : Buffer.concat(lines));
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
