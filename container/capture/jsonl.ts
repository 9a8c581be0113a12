import { appendFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
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

/**
 * Captures as JSON Lines in SageMaker's record format and folder layout, so the
 * same reader handles these files and an endpoint's capture in S3. Each
 * process appends to its own file per hour; a batch is one append.
 */
export class JsonlCaptureWriter implements BatchWriter<CaptureRecord> {
  readonly description: string;
  private readonly fileName = `${hostname()}-${process.pid}-${Date.now()}.jsonl`;

  constructor(private readonly root: string) {
    this.description = `file:${root}`;
  }

  /** Kept whole: the SageMaker record holds the request and response bodies verbatim. */
  encode(record: CaptureRecord): CaptureRecord {
    return record;
  }

  async writeBatch(records: CaptureRecord[]): Promise<void> {
    const byHour = new Map<string, string[]>();
    for (const r of records) {
      const prefix = hourPrefix(r.time);
      let lines = byHour.get(prefix);
      if (!lines) byHour.set(prefix, (lines = []));
      lines.push(JSON.stringify(sagemakerCaptureRecord(r)));
    }
    for (const [prefix, lines] of byHour) {
      const dir = join(this.root, prefix);
      await mkdir(dir, { recursive: true });
      await appendFile(join(dir, this.fileName), `${lines.join('\n')}\n`);
    }
  }

  close(): void {}
}
