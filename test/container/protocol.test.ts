// The scoring protocol against the real image entry (node rookery.mjs serve):
// every input shape, every error, content types, the 6 MB cap, routes and
// headers. One server for the file; capture is off (DATA_CAPTURE unset).
import fc from 'fast-check';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, ROUTES } from '../../container/contract.ts';
import { FORMAT_KEYS } from '../../container/protocol.ts';
import { COLUMNS, cyclingRows, request, ROW, ROWS, serve, stopAll, type Reply, type Served } from '../helpers/server.ts';

let server: Served;

beforeAll(async () => {
  server = await serve();
});

afterAll(async () => {
  await stopAll();
});

const post = (body: unknown, options: Parameters<typeof request>[1] = {}) => request(server, { body: body as object, ...options });
const csv = (text: string, contentType = 'text/csv') => request(server, { body: text, contentType });
const header = COLUMNS.join(',');

function expectPredictions(reply: Reply, species: string[]): void {
  expect(reply.status, reply.text).toBe(200);
  expect(reply.headers['content-type']).toBe('application/json');
  const body = reply.json();
  expect(Object.keys(body)).toEqual(['predictions']);
  expect(body.predictions.map((p: { prediction: string }) => p.prediction)).toEqual(species);
  for (const p of body.predictions) {
    expect(Object.keys(p).sort()).toEqual(['confidence', 'prediction']);
    expect(p.confidence).toBeGreaterThan(0);
    expect(p.confidence).toBeLessThanOrEqual(1);
  }
}

function expectError(reply: Reply, status: number, errorCode: string, ...messageParts: (string | RegExp)[]): string {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json');
  const body = reply.json();
  expect(body.error_code).toBe(errorCode);
  expect(typeof body.message).toBe('string');
  for (const part of messageParts) expect(body.message).toMatch(part);
  return body.message;
}

const species = ROWS.map((r) => r.species);
const rows = ROWS.map((r) => r.row);
const columnar = Object.fromEntries(COLUMNS.map((c) => [c, rows.map((r) => r[c])]));
const split = { columns: [...COLUMNS], data: rows.map((r) => COLUMNS.map((c) => r[c])) };

describe('input shapes (POST /invocations)', () => {
  it('dataframe_split', async () => {
    expectPredictions(await post({ dataframe_split: split }), species);
  });

  it('dataframe_split with the columns in another order and an extra column', async () => {
    const columns = ['sex', 'extra', ...COLUMNS.filter((c) => c !== 'sex')];
    const data = rows.map((r) => columns.map((c) => (c === 'extra' ? 'ignored' : r[c as keyof typeof r])));
    expectPredictions(await post({ dataframe_split: { columns, data } }), species);
  });

  it('dataframe_split with an index, as pandas to_dict(orient="split") writes it', async () => {
    expectPredictions(await post({ dataframe_split: { ...split, index: [0, 1, 2] } }), species);
  });

  it('dataframe_records', async () => {
    expectPredictions(await post({ dataframe_records: rows }), species);
  });

  it('instances as records and as columns', async () => {
    expectPredictions(await post({ instances: rows }), species);
    expectPredictions(await post({ instances: columnar }), species);
  });

  it('inputs as records and as columns', async () => {
    expectPredictions(await post({ inputs: rows }), species);
    expectPredictions(await post({ inputs: columnar }), species);
  });

  it('CSV with a header row', async () => {
    const text = [header, ...rows.map((r) => COLUMNS.map((c) => r[c]).join(','))].join('\n');
    expectPredictions(await csv(text), species);
  });

  it('CSV with quoted fields, CRLF line ends, another column order and no final newline', async () => {
    const cols = [...COLUMNS].reverse();
    const line = (r: (typeof rows)[number]) => cols.map((c) => `"${String(r[c]).replace(/"/g, '""')}"`).join(',');
    const text = [cols.map((c) => `"${c}"`).join(','), ...rows.map(line)].join('\r\n');
    expectPredictions(await csv(text), species);
  });

  it('CSV: empty fields and NA are missing values, imputed', async () => {
    const text = `${header}\nBiscoe,,NA,,5000,\n,,,,,\n`;
    const reply = await csv(text);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json().predictions).toHaveLength(2);
  });

  it('explicit nulls are imputed, in every format', async () => {
    const nulls = Object.fromEntries(COLUMNS.map((c) => [c, null]));
    for (const body of [{ dataframe_records: [nulls] }, { inputs: [nulls] }, { dataframe_split: { columns: COLUMNS, data: [COLUMNS.map(() => null)] } }]) {
      const reply = await post(body);
      expect(reply.status, reply.text).toBe(200);
      expect(reply.json().predictions).toHaveLength(1);
    }
  });

  it('extra keys in a row are ignored; an unknown category is scored', async () => {
    expectPredictions(await post({ dataframe_records: [{ ...ROW, note: 'x', id: 7 }] }), ['Adelie']);
    const reply = await post({ dataframe_records: [{ ...ROW, island: 'Anvers' }] });
    expect(reply.status).toBe(200);
  });

  it('params are accepted next to the rows', async () => {
    expectPredictions(await post({ dataframe_records: rows, params: { data_capture: false, threshold: 0.5, tag: 'x' } }), species);
    expectPredictions(await post({ inputs: rows, params: {} }), species);
    expectPredictions(await post({ inputs: rows, params: null }), species);
  });

  it('an empty list of rows gives an empty list of predictions', async () => {
    for (const body of [{ dataframe_records: [] }, { instances: [] }, { inputs: [] }, { inputs: {} }, { dataframe_split: { columns: COLUMNS, data: [] } }]) {
      const reply = await post(body);
      expect(reply.status, JSON.stringify(body)).toBe(200);
      expect(reply.json()).toEqual({ predictions: [] });
    }
    const reply = await csv(`${header}\n`);
    expect(reply.json()).toEqual({ predictions: [] });
  });

  it('keeps request order across 100 rows, in every format', async () => {
    const { rows: many, species: expected } = cyclingRows(100);
    expectPredictions(await post({ dataframe_records: many }), expected);
    expectPredictions(await post({ dataframe_split: { columns: COLUMNS, data: many.map((r) => COLUMNS.map((c) => r[c])) } }), expected);
    expectPredictions(await post({ instances: Object.fromEntries(COLUMNS.map((c) => [c, many.map((r) => r[c])])) }), expected);
    expectPredictions(await csv([header, ...many.map((r) => COLUMNS.map((c) => r[c]).join(','))].join('\n')), expected);
  });

  it('POST /score answers exactly as POST /invocations', async () => {
    const a = await post({ dataframe_records: rows });
    const b = await post({ dataframe_records: rows }, { path: ROUTES.score });
    expect(b.status).toBe(200);
    expect(b.text).toBe(a.text);
    const e = await post([1], { path: ROUTES.score });
    expectError(e, 400, 'BAD_REQUEST', /list/);
  });
});

describe('bad requests: 400 BAD_REQUEST in MLflow’s error shape', () => {
  it('malformed JSON', async () => {
    expectError(await post('{"dataframe_records": [', {}), 400, 'BAD_REQUEST', /malformed JSON/);
    expectError(await post('', {}), 400, 'BAD_REQUEST', /malformed JSON/);
    expectError(await post('\u00ff\u00fe{}', {}), 400, 'BAD_REQUEST', /malformed JSON/);
  });

  it('a top-level list, or a JSON value that is not an object', async () => {
    expectError(await post([ROW]), 400, 'BAD_REQUEST', /JSON list/, /dataframe_records/);
    for (const v of ['42', '"text"', 'null', 'true']) expectError(await post(v), 400, 'BAD_REQUEST', /JSON object/);
  });

  it('zero format keys', async () => {
    expectError(await post({}), 400, 'BAD_REQUEST', /exactly one of dataframe_split, dataframe_records, instances, inputs/, /none/);
    expectError(await post({ data: [ROW], params: {} }), 400, 'BAD_REQUEST', /exactly one of/, /data, params/);
  });

  it('two format keys', async () => {
    expectError(await post({ dataframe_records: [ROW], inputs: [ROW] }), 400, 'BAD_REQUEST', /exactly one of/, /found dataframe_records and inputs/);
  });

  it('a format key holding the wrong kind of value', async () => {
    expectError(await post({ dataframe_records: { a: 1 } }), 400, 'BAD_REQUEST', /"dataframe_records" must be a list/);
    expectError(await post({ dataframe_split: [[1, 2]] }), 400, 'BAD_REQUEST', /"dataframe_split" must be/);
    expectError(await post({ dataframe_split: { columns: COLUMNS, data: [[1, 2]] } }), 400, 'BAD_REQUEST', /row 0 of "dataframe_split.data"/);
    expectError(await post({ inputs: [[1, 2, 3, 4, 5, 6]] }), 400, 'BAD_REQUEST', /"inputs" must be a list of objects/);
    expectError(await post({ instances: 'x' }), 400, 'BAD_REQUEST', /"instances" must be/);
    expectError(await post({ inputs: { island: ['Biscoe'], sex: ['MALE', 'FEMALE'] } }), 400, 'BAD_REQUEST', /same length/);
  });

  it('a missing column (absent key) names the row and the field', async () => {
    const { sex: _sex, ...noSex } = ROW;
    const message = expectError(await post({ dataframe_records: [ROW, noSex] }), 400, 'BAD_REQUEST', /row 1, field "sex"/, /missing/);
    expect(message).not.toMatch(/row 0/);
    expectError(await post({ inputs: { ...columnar, island: undefined } }), 400, 'BAD_REQUEST', /field "island"/);
    expectError(await post({ dataframe_split: { columns: COLUMNS.filter((c) => c !== 'body_mass_g'), data: [] } }), 400, 'BAD_REQUEST', /"body_mass_g"/);
  });

  it('a wrong type names the row and the field: a string for a number, a number for a category', async () => {
    expectError(await post({ dataframe_records: [ROW, ROW, { ...ROW, body_mass_g: '3750' }] }), 400, 'BAD_REQUEST', /row 2, field "body_mass_g"/, /number/);
    expectError(await post({ inputs: [{ ...ROW, island: 3 }] }), 400, 'BAD_REQUEST', /row 0, field "island"/, /string/);
    expectError(await post({ dataframe_records: [{ ...ROW, sex: true }] }), 400, 'BAD_REQUEST', /row 0, field "sex"/);
    expectError(await post({ dataframe_records: [{ ...ROW, culmen_depth_mm: [1] }] }), 400, 'BAD_REQUEST', /row 0, field "culmen_depth_mm"/);
    expectError(await post({ dataframe_records: [ROW, 'not a row'] }), 400, 'BAD_REQUEST', /row 1/);
  });

  it('params must be an object and data_capture a boolean', async () => {
    expectError(await post({ inputs: [ROW], params: { data_capture: 'yes' } }), 400, 'BAD_REQUEST', /params\.data_capture/);
    expectError(await post({ inputs: [ROW], params: { data_capture: 1 } }), 400, 'BAD_REQUEST', /params\.data_capture/);
    expectError(await post({ inputs: [ROW], params: [1] }), 400, 'BAD_REQUEST', /"params" must be an object/);
  });

  it('numbers too large to score are refused, never answered with a null confidence', async () => {
    const huge = { ...ROW, culmen_length_mm: -1.7976931348623157e308, culmen_depth_mm: 1.7976931348623157e308, flipper_length_mm: 1e308, body_mass_g: 1e308 };
    expectError(await post({ dataframe_records: [ROW, huge] }), 400, 'BAD_REQUEST', /row 1/, /out of range/);
  });

  it('CSV: a missing column, a bad number, an overflowing number, a ragged row, an unclosed quote, no header', async () => {
    expectError(await csv('island,culmen_length_mm\nBiscoe,40\n'), 400, 'BAD_REQUEST', /"culmen_depth_mm"/, /"sex"/);
    expectError(await csv(`${header}\nBiscoe,40,18,190,4000,MALE\nBiscoe,40,18,abc,4000,MALE\n`), 400, 'BAD_REQUEST', /row 1, field "flipper_length_mm"/, /"abc"/);
    expectError(await csv(`${header}\nBiscoe,1e999,18,190,4000,MALE\n`), 400, 'BAD_REQUEST', /row 0, field "culmen_length_mm"/);
    expectError(await csv(`${header}\nBiscoe,40,18\n`), 400, 'BAD_REQUEST', /row 0 has 3 fields/);
    expectError(await csv(`${header}\n"Biscoe,40,18,190,4000,MALE\n`), 400, 'BAD_REQUEST', /malformed CSV/);
    expectError(await csv(''), 400, 'BAD_REQUEST', /empty/);
  });
});

describe('content types', () => {
  it('415 for anything but JSON and CSV', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/jsonlines', 'multipart/form-data; boundary=x']) {
      expectError(await post({ inputs: [ROW] }, { contentType: type }), 415, 'UNSUPPORTED_MEDIA_TYPE', /not supported/);
    }
  });

  it('415 for a charset other than utf-8, or another parameter', async () => {
    expectError(await post({ inputs: [ROW] }, { contentType: 'application/json; charset=latin-1' }), 415, 'UNSUPPORTED_MEDIA_TYPE', /charset=latin-1/);
    expectError(await csv(`${header}\n`, 'text/csv; header=present'), 415, 'UNSUPPORTED_MEDIA_TYPE', /header=present/);
  });

  it('charset=utf-8 (any case, quoted) is fine, and a missing Content-Type is read as JSON', async () => {
    for (const type of ['application/json; charset=utf-8', 'Application/JSON; Charset="UTF-8"', 'application/json;']) {
      expectPredictions(await post({ inputs: rows }, { contentType: type }), species);
    }
    expectPredictions(await csv([header, ...rows.map((r) => COLUMNS.map((c) => r[c]).join(','))].join('\n'), 'text/csv; charset=utf-8'), species);
    expectPredictions(await post({ inputs: rows }, { contentType: null }), species);
  });

  it('decodes UTF-8 category values', async () => {
    const reply = await post({ inputs: [{ ...ROW, island: 'Île ❄' }] });
    expect(reply.status).toBe(200);
  });
});

describe('the 6 MB cap (6,291,456 bytes)', () => {
  const padded = (bytes: number) => {
    const core = JSON.stringify({ dataframe_records: [ROW] });
    return core.slice(0, -1) + ' '.repeat(bytes - Buffer.byteLength(core)) + '}';
  };

  it('takes a body of exactly the limit', async () => {
    const body = padded(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(6_291_456);
    expectPredictions(await post(body), ['Adelie']);
    expectPredictions(await post(body, { chunked: true }), ['Adelie']);
  });

  it('413 one byte over, with Content-Length and chunked without it, and keeps serving', async () => {
    const body = padded(MAX_BODY_BYTES + 1);
    expectError(await post(body), 413, 'REQUEST_ENTITY_TOO_LARGE', /6291456/);
    expectError(await post(body, { chunked: true }), 413, 'REQUEST_ENTITY_TOO_LARGE', /6291456/);
    expect((await request(server, { path: '/ping' })).status).toBe(200);
    expectPredictions(await post({ inputs: rows }), species);
  });

  it('a client that sends all 20 MB before reading gets the 413, not a reset connection (every time)', async () => {
    const big = padded(20 * 1024 * 1024);
    // `agent: false` sends Connection: close, the case where answering early and closing raced the upload.
    for (let i = 0; i < 4; i++) {
      for (const chunked of [false, true]) {
        const reply = await post(big, { chunked, headers: { 'X-Amzn-SageMaker-Custom-Attributes': 'big' } });
        expectError(reply, 413, 'REQUEST_ENTITY_TOO_LARGE');
        expect(reply.headers['x-amzn-sagemaker-custom-attributes']).toBe('big');
      }
    }
    expectPredictions(await post({ inputs: rows }), species);
  });

  it('far over the limit (a declared 1 GB), it answers 413 at once and closes the connection', async () => {
    const socket = connect(server.port, '127.0.0.1');
    try {
      const answer = new Promise<string>((resolve) => {
        let text = '';
        socket.setEncoding('utf8').on('data', (d: string) => (text += d));
        socket.on('close', () => resolve(text));
        socket.on('error', () => {});
      });
      socket.write(`POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 ** 30}\r\n\r\n{"inputs": [`);
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 413 /);
      expect(text).toMatch(/\r\nConnection: close\r\n/i);
      expect(text).toContain('"error_code":"REQUEST_ENTITY_TOO_LARGE"');
      expect(text).toContain(`the body is ${2 ** 30} bytes`);
    } finally {
      socket.destroy();
    }
  });

  it('a keep-alive client can send the next request after a 413 (on a new connection)', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expectPredictions(await post({ inputs: rows }, { agent }), species);
      expectError(await post(padded(MAX_BODY_BYTES + 10), { agent }), 413, 'REQUEST_ENTITY_TOO_LARGE');
      expectPredictions(await post({ inputs: rows }, { agent }), species);
    } finally {
      agent.destroy();
    }
  });
});

describe('routes', () => {
  it('GET /ping: 200 once the model is loaded (HEAD too)', async () => {
    const r = await request(server, { path: ROUTES.ping });
    expect(r.status).toBe(200);
    expect((await request(server, { path: ROUTES.ping, method: 'HEAD' })).status).toBe(200);
  });

  it('GET /live, /ready, /health, /version', async () => {
    const live = await request(server, { path: ROUTES.live });
    expect([live.status, live.json()]).toEqual([200, { live: true }]);
    const ready = await request(server, { path: ROUTES.ready });
    expect([ready.status, ready.json()]).toEqual([200, { ready: true }]);
    const health = await request(server, { path: ROUTES.health });
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', model: { uuid: expect.stringMatching(/^[0-9a-f]{32}$/) }, capture: { available: true, byDefault: false } });
    const version = await request(server, { path: ROUTES.version });
    expect(version.status).toBe(200);
    expect(version.json()).toEqual({ version: expect.any(String) });
  });

  it('404 for an unknown route, with the routes listed', async () => {
    for (const path of ['/', '/predict', '/invocations/extra', '/PING']) {
      const message = expectError(await request(server, { path }), 404, 'ENDPOINT_NOT_FOUND', /\/invocations/);
      // /execution-parameters is a route in Batch Transform mode only (batch-transform.test.ts).
      expect(message).toBe(`no route ${path}; the routes are ${Object.values(ROUTES).filter((r) => r !== ROUTES.executionParameters).join(', ')}`);
    }
    expectError(await post({ inputs: [ROW] }, { path: '/nope' }), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('405 with Allow for a known route with the wrong method', async () => {
    const get = await request(server, { path: ROUTES.invocations });
    expectError(get, 405, 'METHOD_NOT_ALLOWED', /POST/);
    expect(get.headers.allow).toBe('POST');
    for (const method of ['PUT', 'DELETE', 'OPTIONS']) expect((await request(server, { path: ROUTES.score, method })).headers.allow).toBe('POST');
    const postPing = await post({}, { path: ROUTES.ping });
    expectError(postPing, 405, 'METHOD_NOT_ALLOWED');
    expect(postPing.headers.allow).toBe('GET');
  });

  it('GET /ping answers within SageMaker’s 2 s while scoring under load', async () => {
    const { rows: many } = cyclingRows(1_000);
    const body = JSON.stringify({ dataframe_records: many });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    let busy = true;
    const load = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (busy) expect((await post(body, { agent })).status).toBe(200);
      }),
    );
    try {
      for (let i = 0; i < 10; i++) {
        const ping = await request(server, { path: ROUTES.ping, timeoutMs: 2_000 });
        expect(ping.status).toBe(200);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      busy = false;
      await load;
      agent.destroy();
    }
  });

  it('a query string does not change the route', async () => {
    expectPredictions(await post({ inputs: rows }, { path: '/invocations?model=x' }), species);
  });
});

describe('headers', () => {
  it('ignores unknown headers, including the SageMaker ones it does not use', async () => {
    const reply = await post(
      { inputs: rows },
      {
        headers: {
          Accept: 'text/csv',
          'X-Amzn-SageMaker-Target-Model': 'other.tar.gz',
          'X-Amzn-SageMaker-Target-Variant': 'blue',
          'X-Amzn-SageMaker-Enable-Explanations': '`true`',
          'X-Amzn-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272793',
          'X-Forwarded-For': '10.0.0.1',
          'X-Whatever': 'ü'.repeat(2),
          'Accept-Encoding': 'gzip',
        },
      },
    );
    expectPredictions(reply, species);
    expect(reply.headers['content-encoding']).toBeUndefined();
  });

  it('echoes X-Amzn-SageMaker-Custom-Attributes unchanged, on success and on errors', async () => {
    const value = 'trace=abc-123,tenant="t 1";x=`q`' + '~'.repeat(990);
    const ok = await post({ inputs: [ROW] }, { headers: { 'X-Amzn-SageMaker-Custom-Attributes': value } });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amzn-sagemaker-custom-attributes']).toBe(value);
    const bad = await post([ROW], { headers: { 'X-Amzn-SageMaker-Custom-Attributes': 'a=1' } });
    expect(bad.status).toBe(400);
    expect(bad.headers['x-amzn-sagemaker-custom-attributes']).toBe('a=1');
    const unsupported = await post({}, { contentType: 'text/plain', headers: { 'X-Amzn-SageMaker-Custom-Attributes': 'b=2' } });
    expect(unsupported.headers['x-amzn-sagemaker-custom-attributes']).toBe('b=2');
    const none = await post({ inputs: [ROW] });
    expect(none.headers['x-amzn-sagemaker-custom-attributes']).toBeUndefined();
  });
});

describe('bad input never gets a 5xx, a crash or a hang', () => {
  const allowed = [200, 400, 413, 415];
  const check = (reply: Reply) => {
    expect(allowed, reply.text).toContain(reply.status);
    if (reply.status !== 200) expect(reply.json()).toMatchObject({ error_code: expect.any(String), message: expect.any(String) });
  };

  it('random JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        check(await post(JSON.stringify(value), { timeoutMs: 10_000 }));
      }),
      { numRuns: 150 },
    );
  });

  it('random bodies under a random format key, with rows of random values', async () => {
    const value = fc.oneof(
      fc.constantFrom('Biscoe', 'Dream', 'MALE', 'FEMALE', '', 'NA'),
      fc.double(),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.string(),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.object({ maxDepth: 1 }),
    );
    const row = fc.dictionary(fc.constantFrom(...COLUMNS, 'species', 'x', '__proto__', 'constructor'), value, { maxKeys: 9 });
    const key = fc.constantFrom(...FORMAT_KEYS, 'data', 'params');
    const body = fc.oneof(
      fc.tuple(key, fc.array(row, { maxLength: 5 })).map(([k, rs]) => ({ [k]: rs })),
      fc.tuple(key, fc.dictionary(fc.constantFrom(...COLUMNS), fc.array(value, { maxLength: 3 }))).map(([k, cols]) => ({ [k]: cols })),
      fc.tuple(fc.array(fc.constantFrom(...COLUMNS, 'x'), { maxLength: 8 }), fc.array(fc.array(value, { maxLength: 8 }), { maxLength: 3 })).map(([columns, data]) => ({ dataframe_split: { columns, data } })),
      fc.tuple(fc.array(row, { maxLength: 3 }), fc.jsonValue()).map(([rs, params]) => ({ inputs: rs, params })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const text = JSON.stringify(b);
        const reply = await post(text, { timeoutMs: 10_000 });
        check(reply);
        if (reply.status === 200) {
          for (const p of reply.json().predictions) expect(Number.isFinite(p.confidence), reply.text).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('random text as JSON or CSV, and random content types', async () => {
    const type = fc.constantFrom('application/json', 'text/csv', 'text/csv; charset=utf-8', 'text/plain', 'application/json; charset=utf-16', '', ';', '*/*');
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(',', '"', '\n', '\r', 'a', '1', '.', 'e', '-', ' ') }).map((s) => `${COLUMNS.join(',')}\n${s}`));
    await fc.assert(
      fc.asyncProperty(text, type, async (t, contentType) => {
        check(await request(server, { body: t, contentType, timeoutMs: 10_000 }));
      }),
      { numRuns: 200 },
    );
  });

  it('is still up and healthy after everything above, and logged no internal error', async () => {
    expect(server.child.exitCode).toBeNull();
    expect((await request(server, { path: ROUTES.ping })).status).toBe(200);
    expectPredictions(await post({ inputs: rows }), species);
    expect(server.stdout() + server.stderr()).not.toMatch(/error:|INTERNAL_ERROR|Error\b.*\n\s+at /);
  });
});
