// SageMaker Data Capture JSON Lines: requests in every format the server
// accepts (the four MLflow JSON shapes and CSV), BASE64-encoded payloads,
// records with missing or broken fields counted rather than fatal, and
// Model Monitor ground truth joined per record.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JsonlCaptureWriter } from '../../container/capture/jsonl.ts';
import { writeRecords } from '../../container/capture/sink.ts';
import { JsonlCaptureReader } from '../../scripts/monitor/jsonl-reader.ts';
import { UserError } from '../../model/user-error.ts';
import { completeRows, record, schema, scratch } from './fixtures.ts';

const pool = completeRows();
const COLUMNS = schema.features.map((f) => f.name);
const [a, b, c, d] = pool.slice(0, 4).map((p) => p.row);
const uri = (dir: string) => pathToFileURL(dir).href;

function line(eventId: string, input: { data: string; type?: string; encoding?: string } | undefined, output: string | undefined, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    captureData: {
      ...(input ? { endpointInput: { observedContentType: input.type ?? 'application/json', mode: 'INPUT', data: input.data, encoding: input.encoding ?? 'JSON' } } : {}),
      ...(output !== undefined ? { endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: output, encoding: 'JSON' } } : {}),
    },
    eventMetadata: { eventId, inferenceTime: '2025-03-01T10:00:00Z', ...extra },
    eventVersion: '0',
  });
}

const answer = (...species: string[]) => JSON.stringify({ predictions: species.map((s) => ({ prediction: s, confidence: 0.8 })) });
const csv = [COLUMNS.join(','), ...[a, b].map((r) => COLUMNS.map((k) => r[k]).join(','))].join('\n');

function captures(): string {
  const dir = scratch();
  const hour = join(dir, 'penguins-endpoint', 'AllTraffic', '2025', '03', '01', '10');
  mkdirSync(hour, { recursive: true });
  writeFileSync(
    join(hour, 'capture-1.jsonl'),
    [
      line('split', { data: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [a, b].map((r) => COLUMNS.map((k) => r[k])) } }) }, answer('Adelie', 'Adelie')),
      line('instances', { data: JSON.stringify({ instances: [c] }) }, answer('Chinstrap')),
      line('inputs', { data: JSON.stringify({ inputs: Object.fromEntries(COLUMNS.map((k) => [k, [a[k], d[k]]])) }) }, answer('Adelie', 'Gentoo')),
      line('csv', { data: csv, type: 'text/csv', encoding: 'CSV' }, answer('Adelie', 'Adelie')),
      line('base64', { data: Buffer.from(JSON.stringify({ dataframe_records: [d] })).toString('base64'), type: 'application/x-penguin', encoding: 'BASE64' }, answer('Gentoo')),
      line('with-inference-id', { data: JSON.stringify({ dataframe_records: [c] }) }, answer('Chinstrap'), { inferenceId: 'req-42' }),
      line('no-output', { data: JSON.stringify({ dataframe_records: [a] }) }, undefined),
      line('bad-input', { data: '{"dataframe_records": [' }, answer('Adelie')),
      line('no-sex', { data: JSON.stringify({ dataframe_records: [{ ...a, sex: undefined }] }) }, answer('Adelie')),
      line('too-few-predictions', { data: JSON.stringify({ dataframe_records: [a, b] }) }, answer('Adelie')),
      'this is not JSON',
    ].join('\n'),
  );
  return dir;
}

describe('JSON Lines capture reader', () => {
  it('expands the four MLflow JSON formats, CSV and BASE64 payloads into rows with their predictions', async () => {
    const cols = await new JsonlCaptureReader(uri(captures())).read(schema, {});
    expect(cols.records).toBe(6);
    expect(cols.size).toBe(9);
    expect(cols.ids).toEqual(['split', 'split', 'instances', 'inputs', 'inputs', 'csv', 'csv', 'base64', 'with-inference-id']);
    expect(cols.prediction).toEqual(['Adelie', 'Adelie', 'Chinstrap', 'Adelie', 'Gentoo', 'Adelie', 'Adelie', 'Gentoo', 'Chinstrap']);
    expect(Array.from(cols.columns.body_mass_g as Float64Array)).toEqual([a, b, c, a, d, a, b, d, c].map((r) => r.body_mass_g));
    expect(cols.columns.island).toEqual([a, b, c, a, d, a, b, d, c].map((r) => r.island));
    expect(Array.from(cols.confidence)).toEqual(new Array(9).fill(0.8));
    expect(cols.time[0]).toBe(Date.parse('2025-03-01T10:00:00Z'));
  });

  it('counts records with missing or broken fields by reason, with their ids, instead of failing', async () => {
    const cols = await new JsonlCaptureReader(uri(captures())).read(schema, {});
    const reasons = Object.fromEntries(cols.skipped.map((s) => [s.reason, s.examples]));
    expect(reasons).toEqual({
      'no captureData.endpointOutput': ['no-output'],
      'input is not a request the model accepts': ['bad-input'],
      'input lacks feature columns': ['no-sex'],
      'output has a different number of predictions than input rows': ['too-few-predictions'],
      'not a JSON object': ['penguins-endpoint/AllTraffic/2025/03/01/10/capture-1.jsonl'],
    });
  });

  it('joins Model Monitor ground truth per record: CSV of the row labels, on inferenceId when the capture has one', async () => {
    const gt = scratch();
    mkdirSync(join(gt, '2025', '03', '02', '09'), { recursive: true });
    const truth = (id: string, data: unknown) => JSON.stringify({ groundTruthData: { data, encoding: 'CSV' }, eventMetadata: { eventId: id }, eventVersion: '0' });
    writeFileSync(
      join(gt, '2025', '03', '02', '09', 'labels.jsonl'),
      [
        truth('split', 'Adelie,Chinstrap'),
        truth('instances', 'Chinstrap'),
        truth('inputs', ['Adelie', 'Gentoo']),
        truth('csv', 'Adelie'),
        truth('req-42', 'Gentoo'),
        truth('with-inference-id', 'Adelie'),
        truth('someone-else', 'Adelie'),
      ].join('\n'),
    );
    const cols = await new JsonlCaptureReader(uri(captures())).read(schema, { groundTruth: uri(gt) });
    expect(cols.label).toEqual(['Adelie', 'Chinstrap', 'Chinstrap', 'Adelie', 'Gentoo', null, null, null, 'Gentoo']);
    // csv has 2 rows but 1 label; with-inference-id is keyed by eventId although the capture has an inferenceId; someone-else matches nothing.
    expect(cols.unmatchedLabels).toBe(3);
  });

  it('keeps the most recent rows with --samples', async () => {
    const dir = scratch();
    const writer = new JsonlCaptureWriter(dir);
    await writeRecords(writer, [
      record([a, b], ['Adelie', 'Adelie'], new Date('2025-03-01T08:00:00Z')),
      record([c], ['Chinstrap'], new Date('2025-03-01T09:30:00Z')),
      record([d], ['Gentoo'], new Date('2025-03-01T11:00:00Z')),
    ]);
    const cols = await new JsonlCaptureReader(uri(dir)).read(schema, { samples: 2 });
    expect(cols.prediction).toEqual(['Gentoo', 'Chinstrap']);
  });

  it('an empty or unreadable store is a clear message (exit status 2)', async () => {
    const empty = uri(scratch());
    await expect(new JsonlCaptureReader(empty).read(schema, {})).rejects.toMatchObject({ name: 'UserError', exitCode: 2, message: expect.stringMatching(/^no captured rows in file:\/\/.*: send traffic first/) });
    const dir = scratch();
    writeFileSync(join(dir, 'broken.jsonl'), `${line('x', undefined, answer('Adelie'))}\n`);
    const err = await new JsonlCaptureReader(uri(dir)).read(schema, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/^no captured rows in file:\/\/.* \(no readable records: 1 no captureData\.endpointInput\): send traffic first/);
  });
});
