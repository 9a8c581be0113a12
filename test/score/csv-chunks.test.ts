// parseCsvChunks (model/csv.ts) must read a file in pieces exactly as parseCsv reads it whole, wherever the pieces are cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv, parseCsvChunks, type CsvRecord } from '../../model/csv.ts';

async function* piecesOf(text: string, cuts: number[]): AsyncGenerator<string> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield text.slice(at, cut);
    at = cut;
  }
  yield text.slice(at);
}

async function chunked(text: string, cuts: number[]): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const batch of parseCsvChunks(piecesOf(text, cuts))) {
    for (const { text: recordText, ...record } of batch) {
      // A record's text, when given, is exactly its fields joined by commas.
      if (recordText !== undefined) expect(recordText).toBe(record.fields.join(','));
      out.push(record);
    }
  }
  return out;
}

const field = fc.oneof(fc.string({ unit: fc.constantFrom('a', '1', ' ', ',', '"', '\n', '\r\n') }), fc.constant(''));
// Unquoted empty fields make blank lines, which both parsers skip; quote-free texts take parseCsvChunks' fast path.
const csvText = fc
  .tuple(fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 8 }), fc.boolean(), fc.constantFrom('\n', '\r\n'))
  .map(([rows, quoteEmpty, eol]) => rows.map((r) => r.map((f) => (/[",\r\n]/.test(f) || (quoteEmpty && f === '') ? `"${f.replace(/"/g, '""')}"` : f)).join(',')).join(eol) + eol);

describe('parseCsvChunks', () => {
  it('gives the records and line numbers parseCsv gives, for any cut of the text into pieces', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, fc.array(fc.nat(), { maxLength: 6 }), async (text, cuts) => {
        const whole = [...parseCsv(text)];
        expect(await chunked(text, cuts.map((c) => c % (text.length + 1)))).toEqual(whole);
      }),
    );
  });

  it('reports a never-closed quote at the line of the whole text it starts on', async () => {
    const text = 'a,b\n1,2\n3,"4\n5,6\n';
    await expect(chunked(text, [5, 9])).rejects.toThrow(CsvSyntaxError);
    await expect(chunked(text, [5, 9])).rejects.toMatchObject({ line: 3 });
  });
});
