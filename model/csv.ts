import { UserError } from './user-error.ts';

/** One CSV record and the 1-based line it starts on, so errors can point at it. */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** parseCsvChunks only, for a record with no quotes: its text, which is its fields joined by commas. */
  text?: string;
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

const NEEDS_QUOTES = /[",\r\n]/;

/** A field as CSV writes it: quoted (quotes doubled) only when it holds a quote, a comma or a line break. */
export const csvField = (f: string): string => (NEEDS_QUOTES.test(f) ? `"${f.replace(/"/g, '""')}"` : f);

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

/** Text with no quote and no line break but LF or CRLF: what parseCsv reads, split faster (no field can hold a comma or a break). */
const PLAIN = /^[^"\r]*(?:\r\n[^"\r]*)*$/;

function plainRecords(text: string, lineBase: number): CsvRecord[] {
  const lines = text.split('\n');
  const records: CsvRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line !== '') records.push({ line: lineBase + i + 1, fields: line.split(','), text: line });
  }
  return records;
}

/**
 * parseCsv over text that arrives in pieces (a file read a chunk at a time),
 * a batch of records per piece. Each batch ends at the last line break
 * outside quotes seen so far, so what is held is one piece and one partial
 * record whatever the file's size; lines count from the start of the text.
 */
export async function* parseCsvChunks(pieces: AsyncIterable<string>): AsyncGenerator<CsvRecord[]> {
  let pending = '';
  let scanned = 0;
  let inQuotes = false;
  let newlines = 0;
  let lineBase = 0;
  const batch = (text: string, lines: number): CsvRecord[] => {
    try {
      const records = PLAIN.test(text) ? plainRecords(text, lineBase) : Array.from(parseCsv(text), (r) => ({ line: r.line + lineBase, fields: r.fields }));
      lineBase += lines;
      return records;
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new CsvSyntaxError(err.line + lineBase, err.message);
      throw err;
    }
  };
  for await (const piece of pieces) {
    pending += piece;
    let cut = -1;
    let newlinesAtCut = 0;
    for (let i = scanned; i < pending.length; i++) {
      const c = pending.charCodeAt(i);
      if (c === 34) inQuotes = !inQuotes;
      else if (c === 10) {
        newlines++;
        if (!inQuotes) {
          cut = i;
          newlinesAtCut = newlines;
        }
      }
    }
    scanned = pending.length;
    if (cut < 0) continue;
    // The cut is outside quotes, so what follows it keeps the quote state already found.
    const text = pending.slice(0, cut + 1);
    pending = pending.slice(cut + 1);
    scanned = pending.length;
    newlines -= newlinesAtCut;
    yield batch(text, newlinesAtCut);
  }
  if (pending) yield batch(pending, newlines);
}
