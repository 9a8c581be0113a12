// SageMaker Batch Transform's container contract, against the real server
// process started as the image is (`serve`, SAGEMAKER_BATCH=true): /ping,
// GET /execution-parameters, multi-record CSV and JSON Lines mini-batches
// answered a record per record in order, in the format Accept asks for, up to
// MaxPayloadInMB; and an endpoint (no SAGEMAKER_BATCH) that knows none of it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CSV_ANSWER_HEADER } from '../../container/batch-records.ts';
import { ROUTES } from '../../container/contract.ts';
import { readCaptureTable } from '../helpers/capture-table.ts';
import { COLUMNS, cyclingRows, request, ROW, runToExit, scratchDir, serve, stopAll, type Reply, type Row } from '../helpers/server.ts';

afterAll(async () => {
  await stopAll();
});

const BATCH = { SAGEMAKER_BATCH: 'true' };
const MiB = 1024 * 1024;
const csvLine = (row: Row) => COLUMNS.map((c) => row[c] ?? '').join(',');
const csvBody = (rows: Row[]) => rows.map(csvLine).join('\n') + '\n';
const jsonlBody = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const lines = (text: string) => text.split('\n');
function expectError(reply: Reply, status: number, errorCode: string, message?: RegExp): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.json().error_code).toBe(errorCode);
  if (message) expect(reply.json().message).toMatch(message);
}
/** A CSV answer line: prediction, confidence, error. */
const CSV_RECORD = /^(Adelie|Chinstrap|Gentoo),(0\.\d+|1),$/;

describe('Batch Transform mode (SAGEMAKER_BATCH=true)', () => {
  it('answers /ping, and /execution-parameters with MULTI_RECORD, the body limit in MB and two concurrent transforms', async () => {
    const s = await serve({ env: BATCH });
    expect((await request(s, { path: ROUTES.ping })).status).toBe(200);
    const params = await request(s, { path: ROUTES.executionParameters });
    expect(params.status).toBe(200);
    expect(params.headers['content-type']).toBe('application/json');
    expect(params.json()).toEqual({ MaxConcurrentTransforms: 2, BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 6 });
    expect(s.stdout()).toContain('Batch Transform mode (SAGEMAKER_BATCH=true)');
    await s.stop();
  });

  it('takes the transform job’s values when SageMaker sets them, and raises the body limit to MaxPayloadInMB', async () => {
    const env = { ...BATCH, SAGEMAKER_MAX_PAYLOAD_IN_MB: '20', SAGEMAKER_MAX_CONCURRENT_TRANSFORMS: '4', SAGEMAKER_BATCH_STRATEGY: 'SINGLE_RECORD' };
    const s = await serve({ env });
    expect((await request(s, { path: ROUTES.executionParameters })).json()).toEqual({ MaxConcurrentTransforms: 4, BatchStrategy: 'SINGLE_RECORD', MaxPayloadInMB: 20 });
    // 15 MB of records: past the 6 MB endpoint limit and the 16 MiB a connection may hold by default.
    const line = csvLine(ROW);
    const count = Math.floor((15 * MiB) / (line.length + 1));
    const reply = await request(s, { body: `${line}\n`.repeat(count), contentType: 'text/csv', timeoutMs: 120_000 });
    expect(reply.status).toBe(200);
    expect(lines(reply.text)).toHaveLength(count);
    await s.stop();
  });

  it('sizes MaxPayloadInMB from ROOKERY_MAX_BODY_BYTES, at most 100, with MaxConcurrentTransforms × MaxPayloadInMB within 100', async () => {
    const s = await serve({ env: { ...BATCH, ROOKERY_MAX_BODY_BYTES: String(80 * MiB) } });
    expect((await request(s, { path: ROUTES.executionParameters })).json()).toEqual({ MaxConcurrentTransforms: 1, BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 80 });
    await s.stop();
  });

  it('CSV records without a header, in the schema’s column order: one answer line per record, in order, for each Accept', async () => {
    const s = await serve({ env: BATCH });
    const { rows, species } = cyclingRows(300);
    const body = csvBody(rows);

    const asCsv = await request(s, { body, contentType: 'text/csv', headers: { Accept: 'text/csv' } });
    expect([asCsv.status, asCsv.headers['content-type']]).toEqual([200, 'text/csv']);
    const csv = lines(asCsv.text);
    expect(csv).toHaveLength(300);
    for (const l of csv) expect(l).toMatch(CSV_RECORD);
    expect(csv.map((l) => l.split(',')[0])).toEqual(species);

    // No Accept (the job set none) or a wildcard: the request's own format.
    for (const headers of [{}, { Accept: '*/*' }] as Record<string, string>[]) {
      const same = await request(s, { body, contentType: 'text/csv', headers });
      expect([same.headers['content-type'], same.text]).toEqual(['text/csv', asCsv.text]);
    }

    const asJsonl = await request(s, { body, contentType: 'text/csv', headers: { Accept: 'application/jsonlines' } });
    expect(asJsonl.headers['content-type']).toBe('application/jsonlines');
    const records = lines(asJsonl.text).map((l) => JSON.parse(l));
    expect(records.map((r) => r.prediction)).toEqual(species);
    expect(records.map((r) => Object.keys(r))).toEqual(species.map(() => ['prediction', 'confidence']));

    const asJson = await request(s, { body, contentType: 'text/csv', headers: { Accept: 'application/json' } });
    expect(asJson.json().predictions).toEqual(records);

    expectError(await request(s, { body, contentType: 'text/csv', headers: { Accept: 'application/xml' } }), 406, 'NOT_ACCEPTABLE', /text\/csv/);
    await s.stop();
  });

  it('JSON Lines records (objects or lists in column order) under each name SageMaker jobs use, answered with the type asked for', async () => {
    const s = await serve({ env: BATCH });
    const { rows, species } = cyclingRows(400);
    const mixed = rows.map((r, i) => JSON.stringify(i % 2 ? COLUMNS.map((c) => r[c]) : r)).join('\n');
    for (const type of ['application/jsonlines', 'application/jsonl', 'application/x-jsonlines']) {
      const reply = await request(s, { body: mixed, contentType: type, headers: { Accept: type } });
      expect([reply.status, reply.headers['content-type']]).toEqual([200, type]);
      expect(lines(reply.text).map((l) => JSON.parse(l).prediction)).toEqual(species);
    }
    const asCsv = await request(s, { body: jsonlBody(rows), contentType: 'application/jsonlines', headers: { Accept: 'text/csv' } });
    expect(lines(asCsv.text).map((l) => l.split(',')[0])).toEqual(species);
    await s.stop();
  });

  it('a bad record is answered with an error record in its place, the others are scored; a header line gets the answer’s header', async () => {
    const s = await serve({ env: BATCH });
    const { rows, species } = cyclingRows(6);
    const body = [COLUMNS.join(','), csvLine(rows[0]), 'Biscoe,heavy,1,2,3,MALE', csvLine(rows[1]), 'Dream,1,2', '', csvLine(rows[2])].join('\r\n');
    const reply = await request(s, { body, contentType: 'text/csv' });
    expect(reply.status).toBe(200);
    const out = lines(reply.text);
    expect(out).toHaveLength(6);
    expect(out[0]).toBe(CSV_ANSWER_HEADER);
    expect([out[1], out[3], out[5]].map((l) => l.split(',')[0])).toEqual(species.slice(0, 3));
    expect(out[2]).toBe(',,"invalid input: line 3: field ""culmen_length_mm"": expected a finite number or an empty field, got ""heavy"""');
    expect(out[4]).toBe(',,"invalid input: line 5: expected 6 fields (island, culmen_length_mm, culmen_depth_mm, flipper_length_mm, body_mass_g, sex, in this order), got 3"');

    const jsonl = await request(s, { body: `${JSON.stringify(rows[0])}\n{"island": 3}\nnot json\n${JSON.stringify(rows[1])}`, contentType: 'application/jsonlines' });
    const records = lines(jsonl.text).map((l) => JSON.parse(l));
    expect(records.map((r) => r.prediction ?? 'error')).toEqual([species[0], 'error', 'error', species[1]]);
    expect(records[1].error).toMatch(/^invalid input: line 2: field "island": expected a string/);
    expect(records[2].error).toMatch(/^invalid input: line 3: malformed JSON/);

    // Finite values the model's arithmetic overflows on: that record's error, the others scored.
    const huge = 'Torgersen,-1.7976931348623157e308,1.7976931348623157e308,1e308,1e308,MALE';
    const overflow = lines((await request(s, { body: `${csvLine(rows[0])}\n${huge}\n${csvLine(rows[1])}`, contentType: 'text/csv' })).text);
    expect(overflow).toEqual([expect.stringMatching(CSV_RECORD), ',,invalid input: line 2: the values are too far out of range to score', expect.stringMatching(CSV_RECORD)]);
    await s.stop();
  });

  it('takes a full 6 MB mini-batch (over 100,000 records, past ROOKERY_MAX_ROWS) and answers 413 naming the limit one byte past it', async () => {
    const s = await serve({ env: BATCH });
    const line = `${csvLine(ROW)}\n`;
    const count = Math.floor((6 * MiB) / line.length);
    const full = line.repeat(count) + 'x'.repeat(6 * MiB - count * line.length);
    expect(Buffer.byteLength(full)).toBe(6 * MiB);
    const reply = await request(s, { body: full, contentType: 'text/csv', timeoutMs: 120_000 });
    expect(reply.status).toBe(200);
    const out = lines(reply.text);
    expect(count).toBeGreaterThan(100_000);
    // The padding is a record too: its error is the last line.
    expect(out).toHaveLength(count + 1);
    expect(out[count - 1]).toMatch(CSV_RECORD);
    expect(out[count]).toMatch(/^,,"invalid input: line \d+: expected 6 fields .*got 1"$/);

    expectError(await request(s, { body: `${full}\n`, contentType: 'text/csv' }), 413, 'REQUEST_ENTITY_TOO_LARGE', /6291456.*ROOKERY_MAX_BODY_BYTES/);
    expect((await request(s, { path: ROUTES.ping })).status).toBe(200);
    await s.stop();
  });

  it('MLflow JSON bodies are still one request, with the row limit, answered in the Accept format', async () => {
    const s = await serve({ env: { ...BATCH, ROOKERY_MAX_ROWS: '5' } });
    const { rows, species } = cyclingRows(3);
    const reply = await request(s, { body: { dataframe_records: rows }, headers: { Accept: 'text/csv' } });
    expect(lines(reply.text).map((l) => l.split(',')[0])).toEqual(species);
    expectError(await request(s, { body: { dataframe_records: cyclingRows(6).rows } }), 413, 'REQUEST_ENTITY_TOO_LARGE', /ROOKERY_MAX_ROWS/);
    // The row limit is the MLflow protocol's: a multi-record body is bounded by the payload.
    expect(lines((await request(s, { body: csvBody(cyclingRows(50).rows), contentType: 'text/csv' })).text)).toHaveLength(50);
    await s.stop();
  });

  it('captures the valid records of a batch like an endpoint request (DATA_CAPTURE=true)', async () => {
    const cwd = scratchDir('batch-capture');
    const s = await serve({ cwd, env: { ...BATCH, DATA_CAPTURE: 'true' } });
    const { rows } = cyclingRows(120);
    const body = `${jsonlBody(rows.slice(0, 60))}{"island": 3}\n${jsonlBody(rows.slice(60))}`;
    expect((await request(s, { body, contentType: 'application/x-jsonlines' })).status).toBe(200);
    expect((await request(s, { body: csvBody(rows.slice(0, 30)), contentType: 'text/csv' })).status).toBe(200);
    expect((await s.stop()).code).toBe(0);
    const table = readCaptureTable(join(cwd, 'penguins.db'));
    expect(table).toHaveLength(150);
    expect(table.slice(0, 60).map((r) => r.body_mass_g)).toEqual(rows.slice(0, 60).map((r) => r.body_mass_g));
  });

  it('captures a batch to JSON Lines with the answer’s own content type and encoding (CSV in, CSV out)', async () => {
    const dir = scratchDir('batch-capture-jsonl');
    const s = await serve({ env: { ...BATCH, DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `file://${dir}` } });
    const { rows } = cyclingRows(20);
    const reply = await request(s, { body: csvBody(rows), contentType: 'text/csv', headers: { accept: 'text/csv' } });
    expect(reply.status).toBe(200);
    expect((await s.stop()).code).toBe(0);
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.jsonl'));
    const records = files.flatMap((f) => readFileSync(join(f.parentPath, f.name), 'utf8').trim().split('\n')).map((l) => JSON.parse(l));
    expect(records).toHaveLength(1);
    expect(records[0].captureData.endpointInput).toMatchObject({ observedContentType: 'text/csv', encoding: 'CSV', data: csvBody(rows) });
    expect(records[0].captureData.endpointOutput).toMatchObject({ observedContentType: 'text/csv', encoding: 'CSV', data: reply.text });
  });

  it('refuses SAGEMAKER_MAX_PAYLOAD_IN_MB=0 (chunked bodies of any size) at start, naming the fix', async () => {
    const exit = await runToExit(['serve', '--port', '0'], { env: { ...BATCH, SAGEMAKER_MAX_PAYLOAD_IN_MB: '0' } });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/SAGEMAKER_MAX_PAYLOAD_IN_MB=0 .*MaxPayloadInMB from 1 to 100/);
  });
});

describe('an endpoint (no SAGEMAKER_BATCH)', () => {
  it('has no /execution-parameters (404, as SageMaker expects from a container without it) and takes no JSON Lines (415)', async () => {
    const s = await serve();
    const params = await request(s, { path: ROUTES.executionParameters });
    expect(params.status).toBe(404);
    expect(params.json().error_code).toBe('ENDPOINT_NOT_FOUND');
    expectError(await request(s, { body: jsonlBody([ROW]), contentType: 'application/jsonlines' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // Accept changes nothing on an endpoint: MLflow's JSON answer.
    const reply = await request(s, { body: { dataframe_records: [ROW] }, headers: { Accept: 'text/csv' } });
    expect(Object.keys(reply.json())).toEqual(['predictions']);
    await s.stop();
  });
});
