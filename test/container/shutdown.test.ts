// SIGTERM (SageMaker scale-in, Azure rollout) while requests are in flight and
// captured records are waiting to be written: the server stops accepting,
// finishes what it has, writes every captured record of a request that got a
// 200, and exits 0 well within SageMaker's 30 s before SIGKILL.
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../container/contract.ts';
import { request, ROW, ROWS, scratchDir, serve, sleep, stopAll, until, type Served } from '../helpers/server.ts';

afterAll(async () => {
  await stopAll();
});

interface Outcome {
  i: number;
  rows: number;
  status?: number;
  connection?: string;
  error?: string;
}

/** Request i sends 1-5 rows marked with body_mass_g = 10000 + i (and inference id `req-i`), so the capture can be matched to it. */
function burstBody(i: number): { body: string; rows: number } {
  const rows = 1 + (i % 5);
  const base = ROWS[i % ROWS.length].row;
  return { body: JSON.stringify({ dataframe_records: Array.from({ length: rows }, () => ({ ...base, body_mass_g: 10_000 + i })) }), rows };
}

function fire(s: Served, i: number, agent: Agent): Promise<Outcome> {
  const { body, rows } = burstBody(i);
  return request(s, { body, agent, headers: { 'X-Amzn-SageMaker-Inference-Id': `req-${i}` }, timeoutMs: 30_000 }).then(
    (r) => ({ i, rows, status: r.status, connection: r.headers.connection }),
    (err: NodeJS.ErrnoException) => ({ i, rows, error: err.code ?? err.message }),
  );
}

/** A request that has sent its headers and half its body; `finish()` sends the rest and resolves with the answer. */
function slowRequest(s: Served, i: number, agent: Agent): { started: Promise<void>; finish(): Promise<Outcome> } {
  const { body, rows } = burstBody(i);
  let req!: ClientRequest;
  const answer = new Promise<Outcome>((resolve) => {
    req = httpRequest(
      { host: '127.0.0.1', port: s.port, path: ROUTES.invocations, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-Amzn-SageMaker-Inference-Id': `req-${i}` } },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve({ i, rows, status: res.statusCode, connection: res.headers.connection }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ i, rows, error: err.code ?? err.message }));
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  const started = new Promise<void>((resolve) => req.once('socket', (sock) => (sock.connecting ? sock.once('connect', () => resolve()) : resolve())));
  return {
    started,
    finish() {
      req.end(body.slice(half));
      return answer;
    },
  };
}

async function newConnectionRefused(s: Served): Promise<string> {
  return request(s, { path: ROUTES.ping, timeoutMs: 5_000 }).then(
    (r) => `answered ${r.status}`,
    (err: NodeJS.ErrnoException) => err.code ?? err.message,
  );
}

describe('SIGTERM with requests in flight and capture pending', () => {
  it('SQLite: no accepted record lost, in-flight requests finish, new connections refused, exit 0', async () => {
    const dbPath = join(scratchDir('sigterm-sqlite'), 'capture.db');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}` } });
    // One captured request first, so the database exists (WAL mode) before the test locks it.
    expect((await request(s, { body: { inputs: [{ ...ROW, body_mass_g: 9_999 }] } })).status).toBe(200);
    await until(async () => ((await request(s, { path: ROUTES.health })).json().capture.written === 1 ? true : undefined), 'the first capture');

    // Hold the write lock: the server's batches fail and stay queued, so records are certainly pending at SIGTERM.
    const lock = new Database(dbPath, { timeout: 0 });
    lock.exec('BEGIN EXCLUSIVE');
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const slowAgent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const slow = [0, 1, 2, 3].map((k) => slowRequest(s, 1_000 + k, slowAgent));
      await Promise.all(slow.map((r) => r.started));
      const N = 400;
      let answered = 0;
      const results = Array.from({ length: N }, (_, i) =>
        fire(s, i, agent).then((o) => {
          answered++;
          return o;
        }),
      );
      await until(() => (answered >= 60 ? true : undefined), '60 answers', 20_000);
      const before = await until(async () => {
        const c = (await request(s, { path: ROUTES.health })).json().capture;
        return c.failures > 0 ? c : undefined;
      }, 'a capture write failing on the lock');
      expect(before.pending).toBeGreaterThan(0);
      expect(before.written).toBe(1);
      expect(before.lastError).toMatch(/locked|busy/i);

      const exited = s.stop('SIGTERM');
      expect(await until(async () => ((await newConnectionRefused(s)) === 'ECONNREFUSED' ? true : undefined), 'new connections refused', 5_000)).toBe(true);
      // The slow requests were accepted before SIGTERM: they finish, and their connections close after the answer.
      const slowOutcomes = await Promise.all(slow.map((r) => r.finish()));
      for (const o of slowOutcomes) expect(o).toMatchObject({ status: 200, connection: 'close' });
      await sleep(300);
      lock.exec('COMMIT');

      const exit = await exited;
      expect(exit.code, exit.stdout + exit.stderr).toBe(0);
      expect(exit.ms).toBeLessThan(30_000);
      expect(exit.stdout).toContain('SIGTERM: finishing in-flight requests and writing captures');
      expect(exit.stdout).toContain('stopped');
      expect(exit.stdout + exit.stderr).not.toMatch(/gave up|error:/);

      const outcomes = [...(await Promise.all(results)), ...slowOutcomes];
      const ok = outcomes.filter((o) => o.status === 200);
      expect(ok.length).toBeGreaterThanOrEqual(60 + slow.length);
      for (const o of outcomes) if (o.status === undefined) expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(o.error);
      else expect(o.status).toBe(200);

      const rows = lock.prepare('SELECT body_mass_g AS marker, COUNT(*) AS n FROM data GROUP BY body_mass_g').all() as { marker: number; n: number }[];
      const captured = new Map(rows.map((r) => [r.marker - 10_000, r.n]));
      captured.delete(-1);
      const missing = ok.filter((o) => captured.get(o.i) !== o.rows);
      expect(missing.map((o) => `request ${o.i}: ${o.rows} rows sent, ${captured.get(o.i) ?? 0} captured`)).toEqual([]);
      // Nothing captured that did not get its 200.
      expect([...captured.keys()].sort((a, b) => a - b)).toEqual(ok.map((o) => o.i).sort((a, b) => a - b));
    } finally {
      agent.destroy();
      slowAgent.destroy();
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
    }
  });

  it('JSON Lines: every answered request’s record is written, once', async () => {
    const root = join(scratchDir('sigterm-jsonl'), 'capture');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `file://${root}` } });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      let answered = 0;
      const results = Array.from({ length: 300 }, (_, i) =>
        fire(s, i, agent).then((o) => {
          answered++;
          return o;
        }),
      );
      await until(() => (answered >= 40 ? true : undefined), '40 answers', 20_000);
      const exit = await s.stop('SIGTERM');
      expect(exit.code).toBe(0);
      const ok = (await Promise.all(results)).filter((o) => o.status === 200);
      const ids: string[] = [];
      const walk = (d: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else for (const line of readFileSync(join(d, e.name), 'utf8').trimEnd().split('\n')) ids.push(JSON.parse(line).eventMetadata.inferenceId);
        }
      };
      walk(root);
      expect(ids.sort()).toEqual(ok.map((o) => `req-${o.i}`).sort());
    } finally {
      agent.destroy();
    }
  });

  it('SIGINT stops the same way', async () => {
    const s = await serve();
    const exit = await s.stop('SIGINT');
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('SIGINT: finishing in-flight requests');
  });
});
