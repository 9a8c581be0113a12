// The scoring protocol as a pure function (container/invocations.ts), without
// a server: the reply value and what capture gets. The HTTP contract itself
// (routes, headers, 413, 503) is protocol.test.ts's, against the real process.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact, type LoadedArtifact } from '../../model/artifact.ts';
import { invocations, invocationsSliced, LARGE_BODY_CHARS, mediaTypeOf } from '../../container/invocations.ts';
import { SliceScheduler } from '../../container/steps.ts';
import { COLUMNS, fixture, ROW, ROWS } from '../helpers/server.ts';

let model: LoadedArtifact;

beforeAll(async () => {
  model = loadArtifact((await fixture()).modelDir);
});

const json = (value: unknown) => JSON.stringify(value);
/** Finite, but too far out of range for the model's arithmetic (as protocol.test.ts sends it). */
const HUGE = { ...ROW, culmen_length_mm: -1.7976931348623157e308, culmen_depth_mm: 1.7976931348623157e308, flipper_length_mm: 1e308, body_mass_g: 1e308 };
const error = (status: number, errorCode: string) => ({ status, contentType: 'application/json', body: expect.stringContaining(`"error_code":"${errorCode}"`) });

describe('invocations(model, body, contentType)', () => {
  it('answers 200 with the predictions, and hands capture the rows, predictions, params and media type', () => {
    const { reply, scored } = invocations(model, json({ dataframe_records: ROWS.map((r) => r.row), params: { data_capture: true } }), 'application/json');
    expect(reply).toEqual({ status: 200, contentType: 'application/json', body: expect.any(String) });
    const body = JSON.parse(reply.body);
    expect(Object.keys(body)).toEqual(['predictions']);
    expect(body.predictions.map((p: { prediction: string }) => p.prediction)).toEqual(ROWS.map((r) => r.species));
    expect(scored).toEqual({ mediaType: 'application/json', rows: ROWS.map((r) => r.row), predictions: body.predictions, params: { data_capture: true } });
  });

  it('reads CSV, and a missing Content-Type as JSON', () => {
    const csv = [COLUMNS.join(','), COLUMNS.map((c) => ROW[c]).join(',')].join('\n');
    const fromCsv = invocations(model, csv, 'text/csv; charset=utf-8');
    expect([fromCsv.reply.status, fromCsv.scored?.mediaType, fromCsv.scored?.params]).toEqual([200, 'text/csv', {}]);
    expect(invocations(model, json({ inputs: [ROW] }), undefined).reply.status).toBe(200);
  });

  it('input the client can fix is a 400 in MLflow’s shape, with nothing for capture', () => {
    for (const body of ['{"dataframe_records": [', json([ROW]), json({ inputs: [{ ...ROW, island: 3 }] }), json({ inputs: [HUGE] })]) {
      const result = invocations(model, body, 'application/json');
      expect(result.reply).toEqual(error(400, 'BAD_REQUEST'));
      expect(result.scored).toBeUndefined();
    }
    const overflow = JSON.parse(invocations(model, json({ inputs: [ROW, HUGE] }), 'application/json').reply.body);
    expect(overflow).toEqual({ error_code: 'BAD_REQUEST', message: 'invalid input: row 1: the values are too far out of range to score' });
  });

  it('415 for a content type other than JSON or CSV, or a parameter other than charset=utf-8', () => {
    expect(JSON.parse(invocations(model, json({ inputs: [ROW] }), 'text/plain').reply.body)).toEqual({
      error_code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'content type "text/plain" is not supported; send application/json or text/csv',
    });
    expect(invocations(model, '', 'text/csv; header=present')).toEqual({ reply: error(415, 'UNSUPPORTED_MEDIA_TYPE') });
  });
});

describe('the row limit on JSON bodies, checked before JSON.parse', () => {
  const records = (n: number, row: object = ROW) => json({ dataframe_records: Array.from({ length: n }, () => row) });
  const statusOf = (body: string) => invocations(model, body, 'application/json', { maxRows: 100 }).reply.status;

  it('takes the limit itself, padded with 1 MB of whitespace, and refuses one row more with a 413', () => {
    const atLimit = records(100);
    expect(statusOf(`${atLimit.slice(0, -1)}${' '.repeat(1 << 20)}}`)).toBe(200);
    expect(invocations(model, records(101), 'application/json', { maxRows: 100 }).reply).toEqual(error(413, 'REQUEST_ENTITY_TOO_LARGE'));
  });

  it('refuses a body with more tokens than the limit allows before JSON.parse reads it: 413, not the 400 of its unclosed list', () => {
    expect(invocations(model, `{"dataframe_records": [${'[0],'.repeat(100_000)}`, 'application/json', { maxRows: 100 }).reply).toEqual(error(413, 'REQUEST_ENTITY_TOO_LARGE'));
  });

  it('does not count commas, colons and brackets inside strings: 3 rows whose category holds 100,000 of them are scored', () => {
    const body = records(3, { ...ROW, island: ',:[{'.repeat(25_000) });
    expect(body.length).toBeGreaterThan(100_000);
    expect(statusOf(body)).toBe(200);
  });
});

describe('invocationsSliced: the server’s path, in slices', () => {
  it('parses, builds the rows, scores and writes the answer of a large body in slices of their own, with the answer invocations() gives', async () => {
    const rows = json({ dataframe_records: Array.from({ length: 1100 }, () => ROW) });
    const body = `${rows.slice(0, -1)}${' '.repeat(LARGE_BODY_CHARS)}}`;
    // A scheduler whose slices end at every step: each yield is a turn of the event loop, counted here.
    const scheduler = new SliceScheduler(1, 0);
    let turns = 0;
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const sliced = await invocationsSliced(scheduler, model, body, 'application/json').finally(() => (done = true));
    expect(sliced).toEqual(invocations(model, body, 'application/json'));
    // Its place (a large body), JSON.parse, the rows and their checks, 3 slices of up to 512 rows scored (the last one's end puts the answer in a slice of its own).
    expect(turns).toBeGreaterThanOrEqual(6);
  });
});

describe('mediaTypeOf', () => {
  it('gives the media type, or the 415 reply', () => {
    expect(mediaTypeOf('Application/JSON; charset="UTF-8"')).toBe('application/json');
    expect(mediaTypeOf('text/csv')).toBe('text/csv');
    expect(mediaTypeOf('')).toBe('application/json');
    expect(mediaTypeOf('application/json; charset=latin-1')).toEqual(error(415, 'UNSUPPORTED_MEDIA_TYPE'));
  });
});
