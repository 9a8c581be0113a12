// The capture writers' round trips, without a server: ByteWriter's encoding,
// SqliteCaptureWriter (bytes → worker thread → SQLite rows, 64 rows per INSERT,
// a shared buffer that grows for large batches) and JsonlCaptureWriter
// (SageMaker Data Capture lines under yyyy/mm/dd/hh folders).
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchingSink } from '../../container/capture/batcher.ts';
import { ByteWriter, knownIndex, TAG_KNOWN, TAG_NULL, TAG_NUMBER, TAG_STRING } from '../../container/capture/bytes.ts';
import { hourPrefix, JsonlCaptureWriter, sagemakerCaptureRecord } from '../../container/capture/jsonl.ts';
import { writeRecords, type CaptureRecord } from '../../container/capture/sink.ts';
import { captureColumns, SqliteCaptureWriter } from '../../container/capture/sqlite.ts';
import type { FeatureRow } from '../../model/dataset.ts';
import { loadSchema, type Schema } from '../../model/schema.ts';
import { DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { rejection } from '../helpers/rejection.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { readCaptureTable, UUID } from '../helpers/capture-table.ts';

const schema: Schema = loadSchema(DEFAULT_SCHEMA_PATH);
const tempDir = useTempDirs('rookery-capture-writers-');
const PENGUIN = 'Ñandú 🐧';

/** Reads back ByteWriter.value's tagged values (TAG_KNOWN as the strings of `known`). */
function readValues(buf: Buffer, known: readonly string[] = []): (string | number | null)[] {
  const out: (string | number | null)[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = buf[pos++];
    if (tag === TAG_NULL) out.push(null);
    else if (tag === TAG_NUMBER) {
      out.push(buf.readDoubleLE(pos));
      pos += 8;
    } else if (tag === TAG_STRING) {
      const n = buf.readUInt32LE(pos);
      out.push(buf.toString('utf8', pos + 4, pos + 4 + n));
      pos += 4 + n;
    } else if (tag === TAG_KNOWN) out.push(known[buf[pos++]]);
    else throw new Error(`unknown tag ${tag} at ${pos - 1}`);
  }
  return out;
}

describe('ByteWriter', () => {
  it('grows from any initial size, even 0', () => {
    const out = new ByteWriter(0);
    out.string('Adélie');
    out.f64(3750);
    expect(out.length).toBe(4 + Buffer.byteLength('Adélie') + 8);
    expect(out.bytes().subarray(4, 4 + Buffer.byteLength('Adélie')).toString('utf8')).toBe('Adélie');
    expect(out.bytes().readDoubleLE(out.length - 8)).toBe(3750);
  });

  it('value(): null and undefined as a null tag, numbers as float64 (negative zero, 1e308, NaN, ±Infinity), strings as UTF-8 with their byte length', () => {
    const values = [null, undefined, 0, -0, 1e308, -1e308, 5e-324, -1.5, Number.NaN, Infinity, -Infinity, '', 'abc', PENGUIN, 'a\nb\u2028"\\'];
    const out = new ByteWriter();
    for (const v of values) out.value(v);
    const back = readValues(out.bytes());
    expect(back).toHaveLength(values.length);
    values.forEach((v, i) => expect(Object.is(back[i], v ?? null), `value ${i}: ${String(v)} read back as ${String(back[i])}`).toBe(true));
    expect(out.length).toBe(out.bytes().length);

    // The exact layout: little-endian, the byte length (not the UTF-16 length) before a string.
    const one = new ByteWriter();
    one.value(null);
    one.value('Ñ🐧');
    one.value(1);
    expect([...one.bytes()]).toEqual([TAG_NULL, TAG_STRING, 6, 0, 0, 0, 0xc3, 0x91, 0xf0, 0x9f, 0x90, 0xa7, TAG_NUMBER, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });

  it('value() with known strings: each of the first 256 as TAG_KNOWN and its index, any other string as UTF-8', () => {
    const list = Array.from({ length: 300 }, (_, i) => `category ${i}`);
    list[1] = PENGUIN;
    const known = knownIndex(list);
    const values = ['category 0', PENGUIN, 'category 255', 'category 256', 'category 299', 'unknown', '', null, 7];
    const out = new ByteWriter();
    for (const v of values) out.value(v, known);
    expect(readValues(out.bytes(), list)).toEqual(values);

    const one = new ByteWriter();
    one.value('category 255', known);
    one.value('category 256', known);
    expect([...one.bytes()]).toEqual([TAG_KNOWN, 255, TAG_STRING, 12, 0, 0, 0, ...Buffer.from('category 256')]);
  });

  it('u8, u32, f64, text and string write little-endian values and raw or length-prefixed UTF-8', () => {
    const out = new ByteWriter(4);
    out.u8(0xab);
    out.u32(0x01020304);
    out.u32(0xffffffff);
    out.f64(-0);
    out.text(PENGUIN);
    out.string('');
    out.string(PENGUIN);
    const b = out.bytes();
    const penguin = Buffer.from(PENGUIN, 'utf8');
    expect(penguin.length).toBe(12);
    expect(b[0]).toBe(0xab);
    expect([...b.subarray(1, 5)]).toEqual([4, 3, 2, 1]);
    expect(b.readUInt32LE(5)).toBe(0xffffffff);
    expect(Object.is(b.readDoubleLE(9), -0)).toBe(true);
    expect(b.subarray(17, 29).equals(penguin)).toBe(true);
    expect(b.readUInt32LE(29)).toBe(0);
    expect(b.readUInt32LE(33)).toBe(12);
    expect(b.subarray(37).equals(penguin)).toBe(true);
    expect(out.length).toBe(49);
  });

  it('grows past its initial size keeping every earlier byte, including when a string crosses the end; reset() starts over', () => {
    const out = new ByteWriter(8);
    const expected: (string | number | null)[] = [];
    for (let i = 0; i < 2_000; i++) {
      const v = i % 5 === 0 ? null : i % 5 === 1 ? i * 1.25 : i % 5 === 2 ? `${PENGUIN}#${i}` : i % 5 === 3 ? 'x'.repeat(i % 300) : -i;
      out.value(v);
      expected.push(v);
      // A view taken before growing stays what it was; the writer's own bytes keep it too.
      if (i === 3) expect(readValues(Buffer.from(out.bytes()))).toEqual(expected);
    }
    expect(out.length).toBeGreaterThan(50_000);
    expect(readValues(out.bytes())).toEqual(expected);

    // One string much longer than the buffer, written into an almost full one.
    const small = new ByteWriter(8);
    small.u32(7);
    small.string('é'.repeat(5_000));
    expect(small.bytes().readUInt32LE(0)).toBe(7);
    expect(small.bytes().readUInt32LE(4)).toBe(10_000);
    expect(small.bytes().toString('utf8', 8)).toBe('é'.repeat(5_000));

    // The same for text(): 3 bytes per character at most, however many characters are multi-byte.
    const raw = new ByteWriter(8);
    raw.u32(7);
    raw.text(`${'é'.repeat(3_000)}${'🐧'.repeat(1_000)}`);
    expect(raw.length).toBe(4 + 6_000 + 4_000);
    expect(raw.bytes().toString('utf8', 4)).toBe(`${'é'.repeat(3_000)}${'🐧'.repeat(1_000)}`);

    small.reset();
    expect(small.length).toBe(0);
    small.value('after reset');
    expect(readValues(small.bytes())).toEqual(['after reset']);
  });
});

const ISLANDS = ['Biscoe', 'Dream', 'Torgersen', PENGUIN];
let rowSeq = 0;
let recordSeq = 0;

/** A row with distinct measurements; every 7th misses culmen_depth_mm and sex, every 11th the island; every 13th has an empty sex. */
function penguinRow(): FeatureRow {
  const i = ++rowSeq;
  return {
    island: i % 11 === 0 ? null : ISLANDS[i % ISLANDS.length],
    culmen_length_mm: 30 + i / 8,
    culmen_depth_mm: i % 7 === 0 ? null : 15 + (i % 9) / 4,
    flipper_length_mm: 170 + i,
    body_mass_g: -(i % 3) * 0.5 + 3_000 + i,
    sex: i % 7 === 0 ? null : i % 13 === 0 ? '' : i % 2 ? 'MALE' : 'FEMALE',
  };
}

/** A scored request of `n` rows at `time`, each row with its own prediction and confidence. */
function capture(n: number, time: Date, extra: Partial<CaptureRecord> = {}): CaptureRecord {
  const rows = Array.from({ length: n }, penguinRow);
  const predictions = rows.map((_, i) => ({ prediction: schema.target.classes[(recordSeq + i) % 3], confidence: (rowSeq * 1_000 + i) / 1e7 }));
  recordSeq++;
  const requestBody = JSON.stringify({ dataframe_records: rows });
  return {
    eventId: `00000000-0000-4000-8000-${String(recordSeq).padStart(12, '0')}`,
    time,
    rows,
    predictions,
    requestBody,
    requestContentType: 'application/json',
    responseBody: JSON.stringify({ predictions }),
    ...extra,
  };
}

/** The table rows a list of records should become, without the generated uuid. */
function expectedRows(records: CaptureRecord[]): Record<string, unknown>[] {
  return records.flatMap((r) =>
    r.rows.map((row, i) => ({ ...row, prediction: r.predictions[i].prediction, confidence: r.predictions[i].confidence, date: r.time.toISOString(), species: null })),
  );
}

/** The table without uuids, after checking they are distinct UUIDs. */
function readRows(path: string): Record<string, unknown>[] {
  const table = readCaptureTable(path);
  for (const t of table) expect(t.uuid).toMatch(UUID);
  expect(new Set(table.map((t) => t.uuid)).size).toBe(table.length);
  return table.map(({ uuid: _uuid, ...rest }) => rest);
}

function encoded(writer: SqliteCaptureWriter, records: CaptureRecord[]): Buffer {
  const out = new ByteWriter();
  for (const r of records) writer.encode(r, out);
  return Buffer.from(out.bytes());
}

async function withSqlite<T>(path: string, use: (writer: SqliteCaptureWriter) => Promise<T>): Promise<T> {
  const writer = new SqliteCaptureWriter(path, schema);
  try {
    return await use(writer);
  } finally {
    await writer.close();
  }
}

const at = (iso: string) => new Date(iso);

describe('SqliteCaptureWriter', () => {
  it('writes one batch of 1-, 63-, 64-, 65- and 130-row records (323 rows): every row in order, NULLs kept, non-ASCII kept, date and distinct uuids, species NULL', async () => {
    const path = join(tempDir(), 'nested', 'capture.db');
    const records = [1, 63, 64, 65, 130].map((n, k) => capture(n, at(`2025-03-01T10:0${k}:00.${100 + k}Z`)));
    await withSqlite(path, async (writer) => {
      expect(existsSync(path)).toBe(false);
      await writeRecords(writer, records);
    });

    const db = new Database(path, { readonly: true });
    const columns = (db.prepare('PRAGMA table_info(data)').all() as { name: string; type: string }[]).map(({ name, type }) => ({ name, sql: type }));
    db.close();
    expect(columns).toEqual(captureColumns(schema));
    expect(columns.at(-1)!.name).toBe(schema.target.name);

    const rows = readRows(path);
    expect(rows).toHaveLength(323);
    expect(rows).toEqual(expectedRows(records));
    // The cases the rows were built to hold are really there.
    expect(rows.filter((r) => r.culmen_depth_mm === null).length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.island === null).length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.island === PENGUIN).length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.sex === '').length).toBeGreaterThan(5);
    expect(rows.every((r) => r.species === null)).toBe(true);
    expect(rows[0].date).toBe('2025-03-01T10:00:00.100Z');
  });

  it('stores a date past the year 9999 (its ISO text is longer) whole, beside ordinary ones in the same INSERT', async () => {
    const path = join(tempDir(), 'capture.db');
    const records = [capture(2, at('2025-03-01T10:00:00Z')), capture(3, at('+012025-03-01T10:00:00Z')), capture(2, at('2025-03-01T10:00:01Z'))];
    await withSqlite(path, (writer) => writeRecords(writer, records));
    const rows = readRows(path);
    expect(rows.map((r) => r.date)).toEqual([...Array(2).fill('2025-03-01T10:00:00.000Z'), ...Array(3).fill('+012025-03-01T10:00:00.000Z'), ...Array(2).fill('2025-03-01T10:00:01.000Z')]);
    expect(rows).toEqual(expectedRows(records));
  });

  it('appends: two batches from one writer, then a batch from a new writer on the same database', async () => {
    const path = join(tempDir(), 'capture.db');
    const first = [capture(3, at('2025-03-01T10:00:00Z')), capture(64, at('2025-03-01T10:00:01Z'))];
    const second = [capture(2, at('2025-03-01T10:00:02Z'))];
    const third = [capture(65, at('2025-03-01T10:00:03Z'))];
    await withSqlite(path, async (writer) => {
      await writeRecords(writer, first);
      expect(readRows(path)).toEqual(expectedRows(first));
      await writeRecords(writer, second);
    });
    await withSqlite(path, (writer) => writeRecords(writer, third));
    expect(readRows(path)).toEqual(expectedRows([...first, ...second, ...third]));
  });

  it('writes a batch larger than 128 KiB whole, as the first write and after smaller ones (the shared buffer grows), and smaller ones after it', async () => {
    const dir = tempDir();
    const small = () => [capture(5, at('2025-03-01T10:00:00Z'))];
    const large = () => Array.from({ length: 40 }, (_, k) => capture(100, at(`2025-03-01T11:${String(k).padStart(2, '0')}:00Z`)));

    const firstPath = join(dir, 'large-first.db');
    const bigFirst = large();
    await withSqlite(firstPath, async (writer) => {
      expect(encoded(writer, bigFirst).length).toBeGreaterThan(128 * 1024);
      await writeRecords(writer, bigFirst);
    });
    expect(readRows(firstPath)).toEqual(expectedRows(bigFirst));

    const path = join(dir, 'growing.db');
    const batches = [small(), large(), small(), large(), small()];
    // The second large batch is larger still than the first: the buffer grows twice.
    batches[3].push(...large());
    await withSqlite(path, async (writer) => {
      for (const b of batches) await writeRecords(writer, b);
    });
    const rows = readRows(path);
    expect(rows).toHaveLength(5 + 4_000 + 5 + 8_000 + 5);
    expect(rows).toEqual(expectedRows(batches.flat()));
  });

  it('rejects a writeBatch while another is in flight, with a clear error, and the first is written alone', async () => {
    const path = join(tempDir(), 'capture.db');
    const a = [capture(70, at('2025-03-01T10:00:00Z'))];
    const b = [capture(2, at('2025-03-01T10:00:01Z'))];
    await withSqlite(path, async (writer) => {
      const first = writer.writeBatch(encoded(writer, a), 1);
      const err = await rejection(writer.writeBatch(encoded(writer, b), 1));
      expect(err.message).toMatch(/one batch at a time/);
      await first;
      expect(readRows(path)).toEqual(expectedRows(a));
      // Once the first has settled, the next is taken.
      await writer.writeBatch(encoded(writer, b), 1);
    });
    expect(readRows(path)).toEqual(expectedRows([...a, ...b]));
  });

  it('stores nothing of a batch that does not decode to its record count (one transaction), and keeps working', async () => {
    const path = join(tempDir(), 'capture.db');
    const before = [capture(1, at('2025-03-01T10:00:00Z'))];
    const bad = [capture(130, at('2025-03-01T10:00:01Z')), capture(1, at('2025-03-01T10:00:02Z'))];
    const after = [capture(3, at('2025-03-01T10:00:03Z'))];
    await withSqlite(path, async (writer) => {
      await writeRecords(writer, before);
      // Told it holds one record: 130 rows (two full INSERTs) decode, then bytes are left over.
      const err = await rejection(writer.writeBatch(encoded(writer, bad), 1));
      expect(err.message).toMatch(/capture batch of \d+ bytes decoded to \d+/);
      expect(readRows(path)).toEqual(expectedRows(before));
      await writeRecords(writer, after);
    });
    expect(readRows(path)).toEqual(expectedRows([...before, ...after]));
  });
});

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(root, join(d, e.name)));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

const lines = (path: string) => {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
};

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('JsonlCaptureWriter', () => {
  it('puts each record of one batch in its UTC hour folder, one SageMaker capture line each, in order; bodies with newlines survive; a later batch appends', async () => {
    const root = join(tempDir(), 'capture');
    const csvBody = `island,sex\nDream,MALE\n${PENGUIN},\n`;
    const reply = `{"predictions":[{"prediction":"Adelie","note":"line 1\\nline 2 \u2028 ${PENGUIN}"}]}\n`;
    const h10a = capture(2, at('2025-03-01T10:00:00.000Z'), { inferenceId: 'req-1' });
    const h11a = capture(1, at('2025-03-01T11:00:00.000Z'), { requestBody: csvBody, requestContentType: 'text/csv', responseBody: reply });
    const h10b = capture(1, at('2025-03-01T10:59:59.999Z'), { requestBody: `{"inputs":[{"island":"${PENGUIN}"}],\n"params":{}}`, responseBody: reply });
    const yearEnd = capture(1, at('2024-12-31T23:59:59.500Z'));
    const h11b = capture(3, at('2025-03-01T11:30:00.250Z'), { inferenceId: 'req-2' });
    const batch = [h10a, h11a, h10b, yearEnd, h11b];
    const writer = new JsonlCaptureWriter(root);
    expect(existsSync(root)).toBe(false);
    await writeRecords(writer, batch);

    const written = files(root);
    expect(written).toHaveLength(3);
    const name = written[0].split('/').at(-1)!;
    expect(name).toMatch(/\.jsonl$/);
    expect(written).toEqual(['2024/12/31/23', '2025/03/01/10', '2025/03/01/11'].map((h) => `${h}/${name}`));
    for (const r of batch) expect(written).toContain(`${hourPrefix(r.time)}/${name}`);

    const parsed = (hour: string) => lines(join(root, hour, name)).map((l) => JSON.parse(l));
    const roundTrip = (records: CaptureRecord[]) => JSON.parse(JSON.stringify(records.map(sagemakerCaptureRecord)));
    expect(parsed('2025/03/01/10')).toEqual(roundTrip([h10a, h10b]));
    expect(parsed('2025/03/01/11')).toEqual(roundTrip([h11a, h11b]));
    expect(parsed('2024/12/31/23')).toEqual(roundTrip([yearEnd]));

    // SageMaker's fields, spelled out once.
    expect(parsed('2025/03/01/11')[0]).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: csvBody, encoding: 'CSV' },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: reply, encoding: 'JSON' },
      },
      eventMetadata: { eventId: h11a.eventId, inferenceTime: '2025-03-01T11:00:00Z' },
      eventVersion: '0',
    });
    expect(parsed('2025/03/01/10')[0].eventMetadata).toEqual({ eventId: h10a.eventId, inferenceId: 'req-1', inferenceTime: '2025-03-01T10:00:00Z' });
    expect(parsed('2025/03/01/10')[1].captureData.endpointInput).toEqual({ observedContentType: 'application/json', mode: 'INPUT', data: h10b.requestBody, encoding: 'JSON' });
    expect(parsed('2025/03/01/10')[1].eventMetadata.inferenceTime).toBe('2025-03-01T10:59:59Z');

    const later = [capture(1, at('2025-03-01T10:15:00Z')), capture(1, at('2025-03-01T12:00:00Z'))];
    await writeRecords(writer, later);
    await writer.close();
    expect(files(root)).toEqual(['2024/12/31/23', '2025/03/01/10', '2025/03/01/11', '2025/03/01/12'].map((h) => `${h}/${name}`));
    expect(parsed('2025/03/01/10')).toEqual(roundTrip([h10a, h10b, later[0]]));
    expect(parsed('2025/03/01/12')).toEqual(roundTrip([later[1]]));
  });

  // Once a bug: a failure at a later hour left the earlier hours appended, and the retry appended them again.
  // A failed batch now cuts every file it touched back to its length before the batch.
  it('a batch spanning two hours whose second hour fails is not written twice when the sink retries it', async () => {
    const root = join(tempDir(), 'capture');
    // A regular file where the 11:00 folder goes: mkdir fails until it is removed.
    mkdirSync(join(root, '2025', '03', '01'), { recursive: true });
    const blocker = join(root, '2025', '03', '01', '11');
    writeFileSync(blocker, 'not a folder');
    const writer = new JsonlCaptureWriter(root);
    const sink = new BatchingSink(writer, { maxDelayMs: 1, retryDelayMs: 10, maxRetryDelayMs: 10, log: () => {} });
    const h10 = capture(1, at('2025-03-01T10:59:00Z'));
    const h11 = capture(1, at('2025-03-01T11:01:00Z'));
    sink.enqueue(h10);
    sink.enqueue(h11);
    await until(() => sink.stats().failures >= 1, 'a failed write');
    expect(sink.stats().lastError).toMatch(/EEXIST|ENOTDIR/);
    rmSync(blocker);
    await sink.close(5_000);
    expect(sink.stats()).toMatchObject({ written: 2, dropped: 0 });
    const name = files(root)[0].split('/').at(-1)!;
    expect(lines(join(root, '2025/03/01/11', name)).map((l) => JSON.parse(l).eventMetadata.eventId)).toEqual([h11.eventId]);
    expect(lines(join(root, '2025/03/01/10', name)).map((l) => JSON.parse(l).eventMetadata.eventId)).toEqual([h10.eventId]);
  });
});
