import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../../model/csv.ts';

const parse = (text: string): CsvRecord[] => [...parseCsv(text)];
const fieldsOf = (text: string): string[][] => parse(text).map((r) => r.fields);

function syntaxError(text: string): CsvSyntaxError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CsvSyntaxError);
    return err as CsvSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseCsv', () => {
  it('splits plain records and fields, numbering lines from 1', () => {
    expect(parse('a,b,c\n1,2,3\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', '2', '3'] },
    ]);
  });

  it('keeps empty fields, including a trailing one, and a last line without a newline', () => {
    expect(fieldsOf('a,,c\n,,\nx,y,')).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
      ['x', 'y', ''],
    ]);
  });

  it('reads quoted fields holding commas and doubled quotes', () => {
    expect(fieldsOf('"a,b","say ""hi""",""\n')).toEqual([['a,b', 'say "hi"', '']]);
    expect(fieldsOf('""""\n')).toEqual([['"']]);
  });

  it('keeps line breaks inside quoted fields and numbers the following records by their real line', () => {
    const records = parse('h1,h2\n"one\ntwo\nthree",x\nnext,y\n"a\r\nb",z\nlast,w\n');
    expect(records).toEqual([
      { line: 1, fields: ['h1', 'h2'] },
      { line: 2, fields: ['one\ntwo\nthree', 'x'] },
      { line: 5, fields: ['next', 'y'] },
      { line: 6, fields: ['a\r\nb', 'z'] },
      { line: 8, fields: ['last', 'w'] },
    ]);
  });

  it('accepts CRLF line ends without leaving carriage returns in fields', () => {
    expect(parse('a,b\r\n1,"2"\r\n3,4')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 3, fields: ['3', '4'] },
    ]);
  });

  it('drops a byte order mark at the start only', () => {
    expect(fieldsOf('\uFEFFspecies,island\nA,B\n')).toEqual([
      ['species', 'island'],
      ['A', 'B'],
    ]);
    expect(fieldsOf('a\n\uFEFFb\n')).toEqual([['a'], ['\uFEFFb']]);
  });

  it('skips blank lines but still counts them', () => {
    expect(parse('\na,b\n\n\r\n1,2\n\n')).toEqual([
      { line: 2, fields: ['a', 'b'] },
      { line: 5, fields: ['1', '2'] },
    ]);
    expect(parse('')).toEqual([]);
    expect(parse('\n\n')).toEqual([]);
  });

  it('keeps a record made of one quoted empty field: it is not a blank line', () => {
    expect(parse('x\n""\ny\n')).toEqual([
      { line: 1, fields: ['x'] },
      { line: 2, fields: [''] },
      { line: 3, fields: ['y'] },
    ]);
  });

  it('reports a quoted field that is never closed at the line where its record starts', () => {
    const err = syntaxError('a,b\n1,2\n3,"open\nstill open\n');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/never closed/);
  });

  it('reports text after a closing quote with its line', () => {
    const err = syntaxError('a,b\n"x\ny"z,1\n');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/after a closing quote/);
  });

  it('parses back any table of strings written with RFC 4180 quoting, with the right line numbers', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '\t', '🐧'), maxLength: 8 });
    const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(table, fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean(), (rows, eol, quoteAll, trailingEol) => {
        let text = '';
        const lines: number[] = [];
        rows.forEach((row, r) => {
          lines.push(1 + (text.match(/\n/g)?.length ?? 0));
          // A row of one empty field must be quoted, or it would be a blank line.
          const mustQuote = (f: string) => quoteAll || /[",\r\n]/.test(f) || (row.length === 1 && f === '');
          text += row.map((f) => (mustQuote(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(',');
          if (r < rows.length - 1 || trailingEol) text += eol;
        });
        const parsed = parse(text);
        expect(parsed.map((p) => p.fields)).toEqual(rows);
        expect(parsed.map((p) => p.line)).toEqual(lines);
      }),
      { numRuns: 300 },
    );
  });
});
