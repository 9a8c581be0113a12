// Traffic against the real serving program (started in this process): what
// is sent, what the summary says, what the server captured; seeded sampling
// and the course's drift; targets and the invoke command.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaptureSink } from '../../container/capture/open.ts';
import { startServer, type RunningServer } from '../../container/server.ts';
import { main } from '../../scripts/cli.ts';
import { commands } from '../../scripts/commands/index.ts';
import { localTarget } from '../../scripts/targets/local.ts';
import { openBlobStore } from '../../scripts/store/open.ts';
import { openTarget } from '../../scripts/targets/open.ts';
import { formatTrafficSummary, progressReporter } from '../../scripts/traffic/progress.ts';
import { runTraffic } from '../../scripts/traffic/run.ts';
import { DRIFT_FEATURE, sampleTraffic } from '../../scripts/traffic/sample.ts';
import { percentile } from '../../scripts/traffic/send.ts';
import { data, DATA_PATH, SCHEMA_PATH, scratch, trainedModel } from '../monitor/fixtures.ts';

let server: RunningServer;
let dbPath: string;
let endpoint: string;

beforeAll(async () => {
  dbPath = join(scratch(), 'penguins.db');
  const model = trainedModel();
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    loadModel: async () => model,
    openCapture: (m) => openCaptureSink(`sqlite:///${dbPath}`, m.params.schema, { maxDelayMs: 5 }),
    captureByDefault: false,
    log: () => {},
  });
  await server.ready;
  endpoint = `http://127.0.0.1:${server.port}/invocations`;
});

afterAll(async () => {
  await server?.stop(2_000);
});

const quiet = { write: () => true, isTTY: false };
const request = { dataPath: DATA_PATH, schemaPath: SCHEMA_PATH, samples: 53, batch: 10, concurrency: 3, drift: true, seed: 7 };

describe('sampling', () => {
  it('draws complete dataset rows without the target, the same rows for the same seed', () => {
    const a = sampleTraffic(data, { samples: 100, seed: 1, drift: false });
    expect(a.pool).toBe(333);
    expect(a.rows).toEqual(sampleTraffic(data, { samples: 100, seed: 1, drift: false }).rows);
    expect(a.rows).not.toEqual(sampleTraffic(data, { samples: 100, seed: 2, drift: false }).rows);
    for (const row of a.rows) {
      expect(Object.keys(row).sort()).toEqual(data.schema.features.map((f) => f.name).sort());
      expect(Object.values(row).every((v) => v !== null)).toBe(true);
    }
  });

  it('drifts body_mass_g by U(1, 3 × std) of the column, as the course does, and nothing else', () => {
    const plain = sampleTraffic(data, { samples: 500, seed: 3, drift: false });
    const drifted = sampleTraffic(data, { samples: 500, seed: 3, drift: true });
    expect(drifted.driftStd).toBeCloseTo(805.2, 0);
    const shifts = drifted.rows.map((r, i) => (r[DRIFT_FEATURE] as number) - (plain.rows[i][DRIFT_FEATURE] as number));
    expect(Math.min(...shifts)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...shifts)).toBeLessThanOrEqual(3 * drifted.driftStd!);
    expect(shifts.reduce((x, y) => x + y, 0) / shifts.length).toBeGreaterThan(1000);
    expect(drifted.rows.map((r) => ({ ...r, [DRIFT_FEATURE]: 0 }))).toEqual(plain.rows.map((r) => ({ ...r, [DRIFT_FEATURE]: 0 })));
  });
});

describe('traffic against a running server', () => {
  it('sends every row with capture on and summarizes sent, failed, predictions per class and latency', async () => {
    const target = localTarget({ endpoint, maxSockets: 3 });
    const lines: string[] = [];
    const summary = await runTraffic(target, request, (l) => lines.push(l), quiet).finally(() => target.close());
    expect(summary.requests).toEqual({ sent: 6, succeeded: 6, failed: 0 });
    expect(summary.rows).toEqual({ sent: 53, predicted: 53, failed: 0 });
    expect(Object.values(summary.predictions).reduce((x, y) => x + y, 0)).toBe(53);
    expect(Object.keys(summary.predictions).every((c) => data.schema.target.classes.includes(c))).toBe(true);
    expect(summary.latencyMs.p50).toBeGreaterThan(0);
    expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50);
    expect(lines[0]).toMatch(/^sending 53 rows sampled from 333 complete rows of .*penguins\.csv \(seed 7, body_mass_g drifted by U\(1, 3 × 805\.2 g\)\) to http:\/\/127\.0\.0\.1:\d+\/invocations, 10 per request, 3 at a time$/);
    expect(lines[1]).toMatch(/^sent 53 rows in 6 requests to .* in [\d.]+ s \(\d+ rows\/s\)\nfailed: 0 requests \(0 rows\)\npredictions per class: \w+ \d+/);

    await server.stop(2_000);
    const db = new Database(dbPath, { readonly: true });
    const captured = db.prepare('SELECT body_mass_g, prediction, species FROM data').all() as { body_mass_g: number; prediction: string; species: string | null }[];
    db.close();
    expect(captured).toHaveLength(53);
    expect(captured.every((r) => r.species === null)).toBe(true);
    const sent = sampleTraffic(data, { samples: 53, seed: 7, drift: true }).rows.map((r) => r.body_mass_g).sort();
    expect(captured.map((r) => r.body_mass_g).sort()).toEqual(sent);
  });

  it('counts failed requests with their reason and keeps going', async () => {
    const { createServer } = await import('node:http');
    let calls = 0;
    const flaky = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        if (calls % 2) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 'BAD_REQUEST', message: 'nope' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions: new Array(5).fill({ prediction: 'Adelie', confidence: 1 }) }));
        }
      });
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const target = localTarget({ endpoint: `http://127.0.0.1:${(flaky.address() as { port: number }).port}` });
    try {
      const summary = await runTraffic(target, { ...request, samples: 20, batch: 5, concurrency: 1 }, () => {}, quiet);
      expect(summary.requests).toEqual({ sent: 4, succeeded: 2, failed: 2 });
      expect(summary.rows).toEqual({ sent: 20, predicted: 10, failed: 10 });
      expect(summary.errors).toEqual([{ message: 'HTTP 400: nope', count: 2 }]);
      expect(summary.predictions).toEqual({ Adelie: 10 });
    } finally {
      await target.close();
      flaky.close();
    }
  });

  it('stops at once with a clear reason when nothing answers', async () => {
    const target = localTarget({ endpoint: 'http://127.0.0.1:9/invocations' });
    const summary = await runTraffic(target, { ...request, samples: 1000, batch: 10, concurrency: 2 }, () => {}, quiet).finally(() => target.close());
    expect(summary.aborted).toBe('cannot reach http://127.0.0.1:9/invocations (ECONNREFUSED)');
    expect(summary.requests.sent).toBeLessThanOrEqual(2);
    expect(formatTrafficSummary(summary)).toMatch(/stopped early: cannot reach/);
  });
});

describe('progress', () => {
  it('redraws a bar on a terminal and prints plain lines otherwise', () => {
    const tty: string[] = [];
    const bar = progressReporter({ isTTY: true, columns: 80, write: (t) => tty.push(t) });
    bar.update({ rowsDone: 50, rowsTotal: 200, requestsFailed: 0 });
    bar.done();
    expect(tty[0]).toMatch(/^\r\[#{9}\.{26}\] 50\/200 rows\x1b\[K$/);
    expect(tty.at(-1)).toBe('\n');

    const plain: string[] = [];
    let clock = 0;
    const lines = progressReporter({ isTTY: false, write: (t) => plain.push(t) }, () => clock);
    for (let done = 10; done <= 200; done += 10) {
      clock += 500;
      lines.update({ rowsDone: done, rowsTotal: 200, requestsFailed: done > 100 ? 1 : 0 });
    }
    expect(plain[0]).toBe('traffic: 10/200 rows sent (5%)\n');
    expect(plain.at(-1)).toBe('traffic: 200/200 rows sent (100%), 1 failed requests\n');
    expect(plain.length).toBeLessThanOrEqual(11);
  });

  it('percentiles interpolate as numpy does', () => {
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2.5);
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 0.99)).toBeCloseTo(3.97);
  });
});

describe('targets and rookery invoke', () => {
  it('openTarget: local by URL; unknown names and missing cloud modules are clear errors', async () => {
    const local = await openTarget('local', 'http://127.0.0.1:8080');
    expect(local.destination).toBe('http://127.0.0.1:8080/invocations');
    await expect(openTarget('gcp', 'x')).rejects.toThrow(/--target "gcp" is not one of local, sagemaker, azure/);
    await expect(openTarget('local', 'ftp://x')).rejects.toThrow(/must be an http:\/\/ or https:\/\/ URL/);
    // The cloud targets load only when asked for; where their module is missing the message names it.
    if (existsSync(new URL('../../scripts/targets/sagemaker.ts', import.meta.url))) {
      const sagemaker = await openTarget('sagemaker', 'penguins-endpoint', { region: 'eu-west-1' });
      expect(sagemaker).toMatchObject({ name: 'sagemaker', destination: 'SageMaker endpoint penguins-endpoint (eu-west-1)' });
    } else {
      await expect(openTarget('sagemaker', 'penguins-endpoint')).rejects.toThrow(/the sagemaker target is not available in this checkout \(scripts\/targets\/sagemaker\.ts is missing\)/);
    }
    if (existsSync(new URL('../../scripts/store/s3-store.ts', import.meta.url))) {
      expect(await openBlobStore('s3://rookery-captures/penguins/AllTraffic')).toMatchObject({ uri: 's3://rookery-captures/penguins/AllTraffic', bucket: 'rookery-captures', prefix: 'penguins/AllTraffic/' });
    } else {
      await expect(openBlobStore('s3://rookery-captures/x')).rejects.toThrow(/scripts\/store\/s3-store\.ts is missing/);
    }
    await expect(openBlobStore('gs://bucket')).rejects.toThrow(/not a supported location/);
  });

  it('invoke sends one body and prints the answer; exit 1 for an error status', async () => {
    const model = trainedModel();
    const s = await startServer({ port: 0, host: '127.0.0.1', loadModel: async () => model, captureByDefault: false, log: () => {} });
    try {
      await s.ready;
      const url = `http://127.0.0.1:${s.port}/invocations`;
      const row = sampleTraffic(data, { samples: 1, seed: 1, drift: false }).rows[0];
      const out: string[] = [];
      expect(await main(['invoke', '--endpoint', url, '--body', JSON.stringify({ dataframe_records: [row] })], commands, (l) => out.push(l))).toBe(0);
      expect(out[0]).toMatch(/^HTTP 200 in [\d.]+ ms$/);
      expect(JSON.parse(out[1]).predictions).toHaveLength(1);
      const bad: string[] = [];
      expect(await main(['invoke', '--endpoint', url, '--body', '{"rows": []}'], commands, (l) => bad.push(l))).toBe(1);
      expect(bad[0]).toMatch(/^HTTP 400/);
      await expect(main(['invoke', '--endpoint', url, '--body', '{not json'], commands, () => {})).rejects.toThrow(/--body is not valid JSON/);
    } finally {
      await s.stop(2_000);
    }
  });
});
