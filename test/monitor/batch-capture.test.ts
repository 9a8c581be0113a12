// SageMaker Batch Transform's Data Capture: manifests under input/ and
// output/ naming the job's input objects and the serving program's answers
// to them, read by the monitor and labeled as live captures are.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labelJsonl } from '../../scripts/label/jsonl.ts';
import { parseManifest } from '../../scripts/monitor/batch-capture.ts';
import { JsonlCaptureReader } from '../../scripts/monitor/jsonl-reader.ts';
import { FileBlobStore } from '../../scripts/store/blob-store.ts';
import { batchTransformCaptures, completeRows, data, schema, scratch, trainedModel, twoHoursOfCaptures } from './fixtures.ts';

/** Writes the objects under a new folder; returns its file:// URI. */
function store(objects: (root: string) => Record<string, string>): string {
  const dir = scratch();
  const root = pathToFileURL(dir).href;
  for (const [key, body] of Object.entries(objects(root))) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), body);
  }
  return root;
}

const read = (uri: string, groundTruth?: string) => new JsonlCaptureReader(uri).read(schema, groundTruth ? { groundTruth } : {});

describe('Batch Transform capture manifests', () => {
  it('reads each input record with its answer, one row each, at the manifest hour', async () => {
    const root = store(batchTransformCaptures);
    const columns = await read(`${root}/capture`);
    expect(columns.size).toBe(60);
    expect(columns.records).toBe(60);
    // The rejected line is no prediction: it is counted, with the output line that says so.
    expect(columns.skipped).toEqual([{ reason: 'record the model server answered with an error', count: 1, examples: [`${root}/batch-scores/day.csv.out:22`] }]);
    expect(new Set(columns.time)).toEqual(new Set([Date.UTC(2026, 11, 1, 9)]));
    // Predictions are the model's own for those rows, in order.
    const pool = completeRows().slice(0, 60);
    const expected = trainedModel().predictor.predictValid(pool.map((p) => p.row));
    const byId = new Map(columns.ids!.map((id, i) => [id, i]));
    const first = byId.get(`${root}/batch-scores/day.csv.out:2`)!;
    expect(columns.prediction[first]).toBe(expected[0].prediction);
    expect(columns.confidence[first]).toBeCloseTo(expected[0].confidence, 12);
    const lastJson = byId.get(`${root}/batch-scores/day.jsonl.out:20`)!;
    expect(columns.prediction[lastJson]).toBe(expected[59].prediction);
    expect(columns.columns.island[lastJson]).toBe(pool[59].row.island);
    expect(columns.columns.body_mass_g[lastJson]).toBe(pool[59].row.body_mass_g);
  });

  it('reads endpoint captures and batch manifests under one location together', async () => {
    const root = store((r) => ({ ...twoHoursOfCaptures(), ...batchTransformCaptures(r) }));
    const columns = await read(`${root}/capture`);
    expect(columns.size).toBe(300 + 60);
  });

  it('labels batch records once, and the monitor joins those labels', async () => {
    const root = store(batchTransformCaptures);
    const captures = new FileBlobStore(`${root}/capture`);
    const truth = new FileBlobStore(`${root}/ground-truth`);
    const first = await labelJsonl(captures, truth, data, { accuracy: 0.9, seed: 1 });
    expect(first).toMatchObject({ records: 60, labeled: 60, fromDataset: 60, unreadable: 1 });
    expect((await labelJsonl(captures, truth, data, { accuracy: 0.9, seed: 1 })).labeled).toBe(0);
    const columns = await read(`${root}/capture`, `${root}/ground-truth`);
    const pool = completeRows().slice(0, 60);
    expect(columns.label.filter((l) => l !== null)).toHaveLength(60);
    expect(new Set(columns.label)).toEqual(new Set(pool.map((p) => p.species)));
    expect(columns.unmatchedLabels).toBe(0);
  });

  it('counts what it cannot pair instead of failing: lines out of step, a missing object, a broken manifest', async () => {
    const root = store((r) => {
      const objects = batchTransformCaptures(r);
      objects['batch-scores/day.jsonl.out'] = objects['batch-scores/day.jsonl.out'].split('\n').slice(1).join('\n');
      delete objects['batch/day.csv'];
      objects['capture/input/2026/12/01/10/broken.json'] = '{"not": "a manifest"}';
      return objects;
    });
    const message = await read(`${root}/capture`).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(message).toMatch(/^no captured rows in .*\(no readable records: /);
    expect(message).toContain('1 batch output has a different number of lines than its input');
    expect(message).toContain('1 an object a batch capture manifest names cannot be read');
    expect(message).toContain('1 not a Batch Transform capture manifest');
  });

  it('parses the manifest form AWS documents, and nothing else', () => {
    expect(parseManifest('[{"prefix": "s3://b/in"}, "a.csv", "x/b.csv"]')).toEqual({ prefix: 's3://b/in/', entries: ['a.csv', 'x/b.csv'] });
    expect(parseManifest('[]')).toBeUndefined();
    expect(parseManifest('["a.csv"]')).toBeUndefined();
    expect(parseManifest('{"prefix": "s3://b/"}')).toBeUndefined();
    expect(parseManifest('not json')).toBeUndefined();
  });
});
