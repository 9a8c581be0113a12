// Batch Transform's multi-record bodies through the pure invocations() (no
// server): Accept negotiation, what counts as a record, and what capture gets.
// The HTTP contract is batch-transform.test.ts's, against the real process.
import { beforeAll, describe, expect, it } from 'vitest';
import { answerFor } from '../../container/batch-records.ts';
import { invocations } from '../../container/invocations.ts';
import { loadArtifact, type LoadedArtifact } from '../../model/artifact.ts';
import { COLUMNS, cyclingRows, fixture } from '../helpers/server.ts';

let model: LoadedArtifact;

beforeAll(async () => {
  model = loadArtifact((await fixture()).modelDir);
});

const batch = (accept?: string) => ({ batch: true, ...(accept === undefined ? {} : { accept }) });

describe('answerFor(accept, request media type)', () => {
  it('takes the first supported type with q above 0, the request’s format for none or a wildcard, else a 406', () => {
    expect(answerFor('application/xml, text/csv;q=0.5, application/json', 'application/jsonlines')).toEqual({ format: 'csv', contentType: 'text/csv' });
    expect(answerFor('text/csv;q=0, application/jsonl', 'text/csv')).toEqual({ format: 'jsonl', contentType: 'application/jsonl' });
    expect(answerFor('Text/CSV', 'application/json')).toEqual({ format: 'csv', contentType: 'text/csv' });
    expect(answerFor(undefined, 'application/jsonlines')).toEqual({ format: 'jsonl', contentType: 'application/jsonlines' });
    expect(answerFor('image/png, */*;q=0.1', 'application/json')).toEqual({ format: 'json', contentType: 'application/json' });
    expect(answerFor('text/csv;q=0', 'text/csv')).toMatchObject({ status: 406 });
  });
});

describe('invocations() in batch mode', () => {
  it('skips blank lines (and a last line break), reads CRLF, and hands capture the valid rows only', () => {
    const { rows, species } = cyclingRows(3);
    const line = (i: number) => COLUMNS.map((c) => rows[i][c]).join(',');
    const { reply, scored } = invocations(model, `\n${line(0)}\r\n\r\n${line(1)}\nDream,x,1,2,3,MALE\n${line(2)}\n\n`, 'text/csv', batch('application/jsonlines'));
    const records = reply.body.split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.prediction ?? r.error.slice(0, 20))).toEqual([species[0], species[1], 'invalid input: line ', species[2]]);
    expect(records[2].error).toMatch(/^invalid input: line 5: field "culmen_length_mm"/);
    expect(scored).toMatchObject({ mediaType: 'text/csv', params: {} });
    expect(scored?.rows).toEqual(rows);
    expect(scored?.predictions.map((p) => p.prediction)).toEqual(species);
  });

  it('answers a CSV header line in place: the answer’s header in CSV, an error record in JSON', () => {
    const { rows } = cyclingRows(1);
    const body = `${COLUMNS.join(',')}\n${COLUMNS.map((c) => rows[0][c]).join(',')}`;
    expect(invocations(model, body, 'text/csv', batch()).reply.body.split('\n')[0]).toBe('prediction,confidence,error');
    expect(JSON.parse(invocations(model, body, 'text/csv', batch('application/json')).reply.body).predictions[0]).toEqual({ error: 'the CSV header line, not a record' });
  });

  it('a body of no records is an empty 200 answer, not an error', () => {
    expect(invocations(model, '\n\n', 'application/jsonlines', batch()).reply).toEqual({ status: 200, contentType: 'application/jsonlines', body: '' });
  });
});
