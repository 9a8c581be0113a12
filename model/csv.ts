import { UserError } from './user-error.ts';

/** One CSV record and the 1-based line it starts on, so errors can point at it. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Malformed CSV at `line`; callers (datasets, request bodies) say whose CSV it was. */
export class CsvSyntaxError extends UserError {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(problem);
  }
}

/**
 * Parses RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line
 * breaks; lines end in LF or CRLF. Blank lines are skipped. A BOM is dropped.
 */
export function* parseCsv(text: string): Generator<CsvRecord> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let atRecordEnd = false;
    let quoted = false;
    while (!atRecordEnd) {
      if (text[i] === '"') {
        quoted = true;
        i++;
        for (;;) {
          if (i >= n) throw new CsvSyntaxError(start, 'a quoted field is never closed');
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new CsvSyntaxError(line, 'unexpected text after a closing quote');
        }
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
        field += text.slice(i, j);
        i = j;
      }
      if (i >= n) {
        atRecordEnd = true;
      } else if (text[i] === ',') {
        i++;
      } else {
        if (text[i] === '\r') i++;
        if (text[i] === '\n') i++;
        line++;
        atRecordEnd = true;
      }
      fields.push(field);
      field = '';
    }
    // A blank line is skipped; `""` alone is a record with one empty field.
    if (fields.length === 1 && fields[0] === '' && !quoted) continue;
    yield { line: start, fields };
  }
}
