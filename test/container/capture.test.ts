// Request capture by the real server: SQLite (the `data` table labeling and
// monitoring read) and JSON Lines in SageMaker Data Capture's record format
// and yyyy/mm/dd/hh layout; which requests are captured (DATA_CAPTURE and
// params.data_capture); everything is on disk after a graceful stop.
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../container/contract.ts';
import { COLUMNS, cyclingRows, request, ROW, ROWS, scratchDir, serve, stopAll, until } from '../helpers/server.ts';
import { readCaptureTable, UUID } from '../helpers/capture-table.ts';

afterAll(async () => {
  await stopAll();
});

function tableColumns(path: string): { name: string; type: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('PRAGMA table_info(data)').all() as { name: string; type: string }[]).map(({ name, type }) => ({ name, type }));
  } finally {
    db.close();
  }
}

function jsonlFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

const split = (rows: Record<string, unknown>[]) => ({ columns: [...COLUMNS], data: rows.map((r) => COLUMNS.map((c) => r[c])) });

describe('SQLite capture (DATA_COLLECTION_URI=sqlite:///…)', () => {
  it('DATA_CAPTURE=true: one table row per input row, in the specified columns, species empty; data_capture=false and failed requests skipped', async () => {
    const cwd = scratchDir('sqlite');
    const started = new Date();
    // No DATA_COLLECTION_URI: the default sqlite:///penguins.db, relative to the working directory.
    const s = await serve({ cwd, env: { DATA_CAPTURE: 'true' } });
    const { rows: hundred } = cyclingRows(100);
    const withNulls = { ...ROW, culmen_depth_mm: null, sex: null };
    const sent: { rows: Record<string, unknown>[]; predictions?: { prediction: string; confidence: number }[] }[] = [];
    const score = async (body: object | string, rows: Record<string, unknown>[], contentType?: string) => {
      const reply = await request(s, { body, ...(contentType ? { contentType } : {}) });
      expect(reply.status, reply.text).toBe(200);
      sent.push({ rows, predictions: reply.json().predictions });
    };
    await score({ dataframe_records: [ROWS[0].row, withNulls, ROWS[2].row] }, [ROWS[0].row, withNulls, ROWS[2].row]);
    await score({ dataframe_split: split(hundred) }, hundred);
    await score(`${COLUMNS.join(',')}\n${COLUMNS.map((c) => ROWS[1].row[c]).join(',')}\nDream,,,,,\n`, [ROWS[1].row, { island: 'Dream', culmen_length_mm: null, culmen_depth_mm: null, flipper_length_mm: null, body_mass_g: null, sex: null }], 'text/csv');
    await score({ inputs: [ROW], params: { data_capture: true } }, [ROW]);
    // Not captured: opted out, failed, empty.
    expect((await request(s, { body: { inputs: [ROW, ROW, ROW, ROW, ROW], params: { data_capture: false } } })).status).toBe(200);
    expect((await request(s, { body: { inputs: [{ ...ROW, sex: 1 }] } })).status).toBe(400);
    expect((await request(s, { body: { inputs: [] } })).status).toBe(200);

    const exit = await s.stop();
    expect(exit.code).toBe(0);
    const dbPath = join(cwd, 'penguins.db');
    expect(tableColumns(dbPath)).toEqual([
      { name: 'island', type: 'TEXT' },
      { name: 'culmen_length_mm', type: 'REAL' },
      { name: 'culmen_depth_mm', type: 'REAL' },
      { name: 'flipper_length_mm', type: 'REAL' },
      { name: 'body_mass_g', type: 'REAL' },
      { name: 'sex', type: 'TEXT' },
      { name: 'prediction', type: 'TEXT' },
      { name: 'confidence', type: 'REAL' },
      { name: 'date', type: 'TEXT' },
      { name: 'uuid', type: 'TEXT' },
      { name: 'species', type: 'TEXT' },
    ]);
    const table = readCaptureTable(dbPath);
    const expected = sent.flatMap((r) => r.rows.map((row, i) => ({ ...row, prediction: r.predictions![i].prediction, confidence: r.predictions![i].confidence })));
    expect(table).toHaveLength(3 + 100 + 2 + 1);
    expect(table.map((t) => Object.fromEntries([...COLUMNS, 'prediction', 'confidence'].map((c) => [c, t[c]])))).toEqual(expected);
    for (const t of table) {
      expect(t.species).toBeNull();
      expect(t.uuid).toMatch(UUID);
      expect(new Date(t.date as string).toISOString()).toBe(t.date);
      expect(Date.parse(t.date as string)).toBeGreaterThanOrEqual(started.getTime() - 1000);
      expect(Date.parse(t.date as string)).toBeLessThanOrEqual(Date.now());
    }
    expect(new Set(table.map((t) => t.uuid)).size).toBe(table.length);
  });

  it('DATA_CAPTURE unset: only requests with params.data_capture=true; no database until one asks', async () => {
    const cwd = scratchDir('sqlite-optin');
    const s = await serve({ cwd, env: { DATA_COLLECTION_URI: 'sqlite:///capture/optin.db' } });
    for (const body of [{ inputs: [ROW] }, { inputs: [ROW], params: { data_capture: false } }, { inputs: [ROW], params: {} }]) {
      expect((await request(s, { body })).status).toBe(200);
    }
    expect((await request(s, { body: `${COLUMNS.join(',')}\n${COLUMNS.map((c) => ROW[c]).join(',')}\n`, contentType: 'text/csv' })).status).toBe(200);
    const health = (await request(s, { path: ROUTES.health })).json();
    expect(health.capture).toEqual({ available: true, byDefault: false });
    expect(existsSync(join(cwd, 'capture'))).toBe(false);

    expect((await request(s, { body: { dataframe_records: [ROWS[1].row, ROWS[2].row], params: { data_capture: true } } })).status).toBe(200);
    const exit = await s.stop();
    expect(exit.code).toBe(0);
    // sqlite:///relative/path resolves from the working directory.
    const table = readCaptureTable(join(cwd, 'capture', 'optin.db'));
    expect(table.map((t) => t.island)).toEqual(['Dream', 'Biscoe']);
  });

  it('sqlite:////absolute/path, and /health counts what was captured', async () => {
    const dir = scratchDir('sqlite-abs');
    const dbPath = join(dir, 'nested', 'abs.db');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}` } });
    for (let i = 0; i < 5; i++) expect((await request(s, { body: { inputs: [ROW, ROW] } })).status).toBe(200);
    const health = await until(async () => {
      const h = (await request(s, { path: ROUTES.health })).json();
      return h.capture.written === 5 ? h : undefined;
    }, 'five written captures');
    expect(health.capture).toEqual({ available: true, byDefault: true, sink: `sqlite:${dbPath}`, accepted: 5, written: 5, pending: 0, waiting: 0, failures: 0, dropped: 0 });
    // WAL mode: readers (labeling, monitoring) can read while the server writes.
    expect(readCaptureTable(dbPath)).toHaveLength(10);
    expect((await s.stop()).code).toBe(0);
    expect(readCaptureTable(dbPath)).toHaveLength(10);
  });
});

describe('JSON Lines capture (DATA_COLLECTION_URI=file:///…) in SageMaker Data Capture format', () => {
  it('one record per request in yyyy/mm/dd/hh folders, with the bodies as sent and the inference id', async () => {
    const root = join(scratchDir('jsonl'), 'capture');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `file://${root}` } });
    const jsonBody = JSON.stringify({ dataframe_records: [ROWS[0].row, ROWS[2].row] });
    const csvBody = `${COLUMNS.join(',')}\n${COLUMNS.map((c) => ROWS[1].row[c]).join(',')}\n`;
    const before = new Date();
    const a = await request(s, { body: jsonBody, contentType: 'application/json; charset=utf-8', headers: { 'X-Amzn-SageMaker-Inference-Id': 'req-42' } });
    const b = await request(s, { body: csvBody, contentType: 'text/csv' });
    const c = await request(s, { body: { inputs: [ROW], params: { data_capture: false } }, headers: { 'X-Amzn-SageMaker-Inference-Id': 'not-captured' } });
    const after = new Date();
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect((await s.stop()).code).toBe(0);

    const files = jsonlFiles(root);
    expect(files.length).toBeGreaterThanOrEqual(1);
    const records = files.flatMap((file) => {
      // <root>/yyyy/mm/dd/hh/<file>.jsonl
      expect(relative(root, file)).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/[^/]+\.jsonl$/);
      const text = readFileSync(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      return text
        .trimEnd()
        .split('\n')
        .map((line) => ({ file, record: JSON.parse(line) }));
    });
    expect(records).toHaveLength(2);
    const [first, second] = records.map((r) => r.record).sort((x, y) => (x.captureData.endpointInput.encoding < y.captureData.endpointInput.encoding ? 1 : -1));
    expect(first).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: jsonBody, encoding: 'JSON' },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: a.text, encoding: 'JSON' },
      },
      eventMetadata: { eventId: expect.stringMatching(UUID), inferenceId: 'req-42', inferenceTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/) },
      eventVersion: '0',
    });
    expect(second).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: csvBody, encoding: 'CSV' },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: b.text, encoding: 'JSON' },
      },
      eventMetadata: { eventId: expect.stringMatching(UUID), inferenceTime: expect.any(String) },
      eventVersion: '0',
    });
    expect(first.eventMetadata.eventId).not.toBe(second.eventMetadata.eventId);
    for (const { file, record } of records) {
      const t = new Date(record.eventMetadata.inferenceTime);
      expect(t.getTime()).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
      expect(t.getTime()).toBeLessThanOrEqual(after.getTime());
      // The folder is the UTC hour of the invocation.
      const hour = t.toISOString().slice(0, 13).replace(/[-T]/g, '/');
      expect(relative(root, file).startsWith(`${hour}/`)).toBe(true);
    }
  });
});
