// What Node's HTTP parser refuses, the limits' own answers, and the connection
// cap, on the real server process: every refusal carries MLflow's JSON error
// body ({"error_code", "message"}) and names the setting that decides it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, ROW, runToExit, serve, sleep, stopAll, type Served } from '../helpers/server.ts';
import { jsonOf, postHead, rawClient, rawExchange, splitBody } from './hostile.ts';

let server: Served;

beforeAll(async () => {
  server = await serve({
    env: {
      ROOKERY_HEADERS_TIMEOUT_MS: '1000',
      ROOKERY_MAX_ROWS: '100',
      ROOKERY_MAX_BUFFERED_BYTES: '1000000',
    },
  });
});

afterAll(async () => {
  await stopAll();
});

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]);

describe("the parser's refusals, in MLflow's JSON", () => {
  it('400 for a malformed request line', async () => {
    const answer = await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(statusOf(answer)).toBe(400);
    expect(jsonOf(answer)).toEqual({
      error_code: 'BAD_REQUEST',
      message: expect.stringMatching(/malformed HTTP request/),
    });
  });

  it('431 for headers over 16 KiB', async () => {
    const answer = await rawExchange(server.port, `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(statusOf(answer)).toBe(431);
    expect(jsonOf(answer).error_code).toBe('REQUEST_HEADER_FIELDS_TOO_LARGE');
  });

  it('408 for headers that do not arrive within ROOKERY_HEADERS_TIMEOUT_MS', async () => {
    const t0 = Date.now();
    const answer = await rawExchange(server.port, 'POST /invocations HTTP/1.1\r\nHost: x\r\n', 8_000);
    expect(statusOf(answer)).toBe(408);
    expect(jsonOf(answer)).toEqual({
      error_code: 'REQUEST_TIMEOUT',
      message: expect.stringMatching(/ROOKERY_HEADERS_TIMEOUT_MS/),
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('417 for an Expect other than 100-continue', async () => {
    const answer = await rawExchange(server.port, postHead(2, { Expect: 'something-else' }) + '{}');
    expect(statusOf(answer)).toBe(417);
    expect(jsonOf(answer).error_code).toBe('EXPECTATION_FAILED');
  });

  it('413 before the body is sent for Expect: 100-continue over the body limit; 100 Continue and the answer under it', async () => {
    const refused = await rawExchange(server.port, postHead(10_000_000, { Expect: '100-continue' }));
    expect(statusOf(refused)).toBe(413);
    expect(jsonOf(refused)).toEqual({
      error_code: 'REQUEST_ENTITY_TOO_LARGE',
      message: expect.stringMatching(/ROOKERY_MAX_BODY_BYTES/),
    });
    const body = JSON.stringify({ dataframe_records: [ROW] });
    const c = await rawClient(server.port);
    let text = '';
    c.socket.on('data', (d: Buffer) => {
      text += d;
      if (text.startsWith('HTTP/1.1 100') && !text.includes('200')) c.socket.write(body);
    });
    c.socket.resume();
    c.socket.write(postHead(body.length, { Expect: '100-continue', Connection: 'close' }));
    await Promise.race([c.closed, sleep(5_000)]);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });
});

describe('the limits', () => {
  it('413 past ROOKERY_MAX_ROWS, for JSON and CSV, naming the limit and the setting; the limit itself is served', async () => {
    const over = await request(server, { body: splitBody(101) });
    expect(over.status).toBe(413);
    expect(over.json()).toEqual({
      error_code: 'REQUEST_ENTITY_TOO_LARGE',
      message: expect.stringMatching(/more than 100 rows.*ROOKERY_MAX_ROWS/),
    });
    const csv = (n: number) => `island,culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g,sex\n${'Dream,46.5,17.9,192,3500,FEMALE\n'.repeat(n)}`;
    expect((await request(server, { body: csv(101), contentType: 'text/csv' })).status).toBe(413);
    expect((await request(server, { body: csv(100), contentType: 'text/csv' })).status).toBe(200);
    expect((await request(server, { body: splitBody(100) })).json().predictions).toHaveLength(100);
  });

  it('503 naming ROOKERY_MAX_BUFFERED_BYTES once the bodies being read hold that much; served again once they are gone', async () => {
    const holder = await rawClient(server.port);
    holder.socket.write(postHead(2_000_000));
    holder.socket.write(Buffer.alloc(900_000, ' '));
    await sleep(300);
    const busy = await request(server, {
      body: Buffer.concat([Buffer.from('{"inputs":[]'), Buffer.alloc(200_000, ' '), Buffer.from('}')]),
    }).catch((err: Error) => err);
    holder.socket.destroy();
    expect(busy).not.toBeInstanceOf(Error);
    const reply = busy as Awaited<ReturnType<typeof request>>;
    expect(reply.status).toBe(503);
    expect(reply.json()).toEqual({
      error_code: 'TEMPORARILY_UNAVAILABLE',
      message: expect.stringMatching(/ROOKERY_MAX_BUFFERED_BYTES/),
    });
    await sleep(200);
    expect((await request(server, { body: { inputs: [ROW] } })).status).toBe(200);
  });

  it('a bad setting stops the start with one line naming it', async () => {
    const exit = await runToExit(['serve', '--port', '0'], {
      env: { ROOKERY_MAX_ROWS: 'lots' },
    });
    expect(exit.code).toBe(1);
    expect(exit.stderr + exit.stdout).toMatch(/ROOKERY_MAX_ROWS="lots" is not a positive whole number/);
  });

  it('ROOKERY_MAX_CONNECTIONS: connections past the cap are closed as they arrive, the others are served', async () => {
    const capped = await serve({ env: { ROOKERY_MAX_CONNECTIONS: '20' } });
    const clients = [];
    for (let i = 0; i < 30; i++) clients.push(await rawClient(capped.port));
    for (const c of clients) c.socket.resume();
    await sleep(500);
    const open = clients.filter((c) => !c.isClosed());
    expect(open).toHaveLength(20);
    const answers = await Promise.all(
      open.map(
        (c) =>
          new Promise<string>((resolve) => {
            let text = '';
            c.socket.on('data', (d: Buffer) => (text += d));
            c.socket.once('close', () => resolve(text));
            c.socket.write('GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          }),
      ),
    );
    expect(answers.map(statusOf)).toEqual(Array(20).fill(200));
    expect((await request(capped, { path: '/ping' })).status).toBe(200);
    await capped.stop();
  });
});
