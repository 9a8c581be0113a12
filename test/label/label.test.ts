// Labeling: true species for rows that match the dataset, simulated labels
// otherwise; only unlabeled rows change, so a second run changes nothing
// (SQLite in place, and Model Monitor ground truth files for JSON Lines).
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JsonlCaptureWriter } from '../../container/capture/jsonl.ts';
import { writeRecords } from '../../container/capture/sink.ts';
import { labelJsonl } from '../../scripts/label/jsonl.ts';
import { labelSqlite } from '../../scripts/label/sqlite.ts';
import { simulatedLabel } from '../../scripts/label/truth.ts';
import { runLabel } from '../../scripts/label/run.ts';
import { LABEL_SOURCE } from '../../scripts/monitor/capture-reader.ts';
import { JsonlCaptureReader } from '../../scripts/monitor/jsonl-reader.ts';
import { runMonitor } from '../../scripts/monitor/run.ts';
import { FileBlobStore } from '../../scripts/store/blob-store.ts';
import { sampleTraffic } from '../../scripts/traffic/sample.ts';
import { completeRows, data, DATA_PATH, record, schema, SCHEMA_PATH, scratch, writeSqlite } from '../monitor/fixtures.ts';
import { readCaptureTable } from '../helpers/capture-table.ts';

const pool = completeRows();
const CLASSES = schema.target.classes;

/** 20 rows straight from the dataset and 200 drifted ones, each "predicted" Adelie. */
async function sqliteStore(): Promise<string> {
  const path = join(scratch(), 'captures.db');
  const drifted = sampleTraffic(data, { samples: 200, seed: 5, drift: true }).rows;
  const exact = pool.slice(100, 120).map((p) => p.row);
  const rows = [...exact, ...drifted];
  const records = [];
  for (let i = 0; i < rows.length; i += 10) records.push(record(rows.slice(i, i + 10), new Array(Math.min(10, rows.length - i)).fill('Adelie')));
  await writeSqlite(path, records);
  return path;
}

describe('labeling SQLite captures', () => {
  it('gives matching rows their true species and the rest the prediction with the given accuracy', async () => {
    const path = await sqliteStore();
    const counts = labelSqlite(path, data, { accuracy: 0.8, seed: 42 });
    expect(counts).toEqual({ labeled: 220, fromDataset: 20, simulated: 200, alreadyLabeled: 0 });
    const rows = readCaptureTable(path);
    expect(rows.slice(0, 20).map((r) => r.species)).toEqual(pool.slice(100, 120).map((p) => p.species));
    const kept = rows.slice(20).filter((r) => r.species === 'Adelie').length;
    expect(kept / 200).toBeGreaterThan(0.7);
    expect(kept / 200).toBeLessThan(0.9);
    expect(rows.slice(20).every((r) => CLASSES.includes(r.species as string))).toBe(true);
  });

  it('is idempotent: only unlabeled rows change, and a second run changes nothing', async () => {
    const path = await sqliteStore();
    const db = new Database(path);
    db.prepare("UPDATE data SET species = 'Chinstrap' WHERE rowid IN (1, 50)").run();
    db.close();
    const first = labelSqlite(path, data, { accuracy: 0.9, seed: 42 });
    expect(first).toMatchObject({ labeled: 218, alreadyLabeled: 2 });
    const after = readCaptureTable(path);
    expect(after[0].species).toBe('Chinstrap');
    expect(after[49].species).toBe('Chinstrap');
    const second = labelSqlite(path, data, { accuracy: 0.9, seed: 42 });
    expect(second).toEqual({ labeled: 0, fromDataset: 0, simulated: 0, alreadyLabeled: 220 });
    expect(readCaptureTable(path)).toEqual(after);
  });

  it('draws the same label for the same row id on every run, and only other classes when it errs', () => {
    for (let i = 0; i < 50; i++) expect(simulatedLabel(`row-${i}`, 'Gentoo', CLASSES, 0.5, 1)).toBe(simulatedLabel(`row-${i}`, 'Gentoo', CLASSES, 0.5, 1));
    const labels = Array.from({ length: 1000 }, (_, i) => simulatedLabel(`id-${i}`, 'Gentoo', CLASSES, 0.9, 42));
    const kept = labels.filter((l) => l === 'Gentoo').length;
    expect(kept).toBeGreaterThan(870);
    expect(kept).toBeLessThan(930);
    expect(new Set(labels)).toEqual(new Set(CLASSES));
    expect(simulatedLabel('x', 'Gentoo', CLASSES, 0, 42)).not.toBe('Gentoo');
  });

  it('seeds simulated labels from row content, not request ids or arrival order: the same rows in another order with other ids get the same labels', async () => {
    const rows = sampleTraffic(data, { samples: 300, seed: 9, drift: true }).rows;
    const labelsOf = async (order: typeof rows) => {
      const path = join(scratch(), 'captures.db');
      const records = [];
      for (let i = 0; i < order.length; i += 10) records.push(record(order.slice(i, i + 10), order.slice(i, i + 10).map((r) => (Number(r.body_mass_g) > 4500 ? 'Gentoo' : 'Adelie'))));
      await writeSqlite(path, records);
      labelSqlite(path, data, { accuracy: 0.7, seed: 42 });
      return readCaptureTable(path).map((r) => `${JSON.stringify([r.island, r.culmen_length_mm, r.body_mass_g, r.sex])}=${r.species}/${r.label_source}`).sort();
    };
    const first = await labelsOf(rows);
    expect(first).toEqual(await labelsOf([...rows].reverse()));
    expect(first.some((l) => l.endsWith('/simulated'))).toBe(true);
  });

  it('records where each label came from in label_source, and the monitor counts the simulated ones', async () => {
    const path = await sqliteStore();
    labelSqlite(path, data, { accuracy: 0.8, seed: 42 });
    const sources = readCaptureTable(path).map((r) => r.label_source);
    expect(sources.slice(0, 20).every((s) => s === 'dataset')).toBe(true);
    expect(sources.slice(20).every((s) => s === 'simulated')).toBe(true);
    const { summary } = await runMonitor({ datastore: `sqlite:///${path}`, referencePath: DATA_PATH, schemaPath: SCHEMA_PATH, outDir: join(scratch(), 'report') });
    expect(summary.labels).toEqual({ labeled: 220, simulated: 200, fromDataset: 20, unknown: 0 });
  });

  it('names the problem when there is nothing to label', async () => {
    await expect(runLabel({ datastore: `sqlite:///${join(scratch(), 'none.db')}`, dataPath: DATA_PATH, schemaPath: SCHEMA_PATH, accuracy: 0.9, seed: 1 }, () => {})).rejects.toThrow(
      /no capture database at .*none\.db: start the server with capture on and send traffic first .*--datastore sqlite:\/\/\/\.rookery\/start\/penguins\.db/,
    );
  });
});

describe('labeling JSON Lines captures (Model Monitor ground truth)', () => {
  async function jsonlStore(): Promise<string> {
    const dir = scratch();
    await writeRecords(new JsonlCaptureWriter(dir), [
      record([pool[0].row, pool[200].row], ['Adelie', 'Adelie'], new Date('2025-03-01T08:15:00Z')),
      record([{ ...pool[1].row, body_mass_g: 9999 }], ['Gentoo'], new Date('2025-03-01T09:15:00Z'), 'req-7'),
    ]);
    return dir;
  }

  it('writes one ground-truth line per captured record, keyed as Model Monitor joins, in the labeling hour folder', async () => {
    const captures = await jsonlStore();
    const gtDir = scratch();
    const now = new Date('2025-03-02T13:45:00Z');
    const counts = await labelJsonl(new FileBlobStore(pathToFileURL(captures).href), new FileBlobStore(pathToFileURL(gtDir).href), data, { accuracy: 1, seed: 42 }, now);
    expect(counts).toMatchObject({ labeled: 3, fromDataset: 2, simulated: 1, alreadyLabeled: 0, records: 2, unreadable: 0 });
    expect(counts.written).toMatch(/^2025\/03\/02\/13\/labels-20250302T134500000Z-[0-9a-f]{8}\.jsonl$/);
    const lines = readFileSync(join(gtDir, counts.written!), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    const ids = (await new JsonlCaptureReader(pathToFileURL(captures).href).read(schema, {})).ids!;
    expect(lines).toEqual([
      { groundTruthData: { data: `${pool[0].species},${pool[200].species}`, encoding: 'CSV' }, eventMetadata: { eventId: ids.at(-1) }, eventVersion: '0', rookeryLabelSource: 'dataset,dataset' },
      // The second record carries an inferenceId, which Model Monitor joins on.
      { groundTruthData: { data: 'Gentoo', encoding: 'CSV' }, eventMetadata: { eventId: 'req-7' }, eventVersion: '0', rookeryLabelSource: 'simulated' },
    ]);
    const joined = await new JsonlCaptureReader(pathToFileURL(captures).href).read(schema, { groundTruth: pathToFileURL(gtDir).href });
    // Most recent first: the single-row record, then the two rows of the first.
    expect(joined.label).toEqual(['Gentoo', pool[0].species, pool[200].species]);
    expect(joined.unmatchedLabels).toBe(0);
    expect(Array.from(joined.labelSource)).toEqual([LABEL_SOURCE.simulated, LABEL_SOURCE.dataset, LABEL_SOURCE.dataset]);
  });

  it('is idempotent: a second run writes nothing; new captures get only their own labels', async () => {
    const captures = await jsonlStore();
    const gt = pathToFileURL(scratch()).href;
    const lines: string[] = [];
    const request = { datastore: pathToFileURL(captures).href, groundTruth: gt, dataPath: DATA_PATH, schemaPath: SCHEMA_PATH, accuracy: 0.9, seed: 42 };
    expect(await runLabel(request, (l) => lines.push(l))).toMatchObject({ labeled: 3, records: 2 });
    expect(await runLabel(request, (l) => lines.push(l))).toMatchObject({ labeled: 0, alreadyLabeled: 3, records: 0 });
    expect(lines.at(-1)).toMatch(/^nothing to label in .*: 3 rows already have ground truth$/);
    await writeRecords(new JsonlCaptureWriter(captures), [record([pool[3].row], ['Adelie'], new Date('2025-03-01T10:15:00Z'))]);
    expect(await runLabel(request, () => {})).toMatchObject({ labeled: 1, alreadyLabeled: 3, records: 1 });
    const all = [];
    for await (const key of new FileBlobStore(gt).list()) all.push(key);
    expect(all).toHaveLength(2);
  });

  it('requires --ground-truth for JSON Lines captures', async () => {
    await expect(runLabel({ datastore: 'file:///tmp/captures', dataPath: DATA_PATH, schemaPath: SCHEMA_PATH, accuracy: 0.9, seed: 1 }, () => {})).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^--ground-truth is required for file:\/\/\/tmp\/captures/),
    });
  });
});
