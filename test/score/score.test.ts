// `rookery score` run as a user runs it (the real CLI in a child process), on each format.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadata, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../model/csv.ts';
import type { FeatureRow } from '../../model/dataset.ts';
import { arrayBufferOf as bufferOf, chunkRange } from '../../scripts/score/parquet.ts';
import { runCli } from '../helpers/cli.ts';
import { penguins } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { FEATURES, generatedRow, parquetOf, scoringModel } from './fixtures.ts';

const temp = useTempDirs('rookery-score-');
let registry = '';
let predict: Awaited<ReturnType<typeof scoringModel>>['predict'];

beforeAll(async () => {
  ({ registry, predict } = await scoringModel(temp()));
});

const score = (args: string[], cwd: string) => runCli(['score', ...args], { ROOKERY_REGISTRY: registry }, { cwd });
const rejectsOf = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { row: number; line?: number; reason: string; input: unknown });

describe('rookery score on CSV', () => {
  it('keeps every input column and the input order, adds prediction and confidence, and rejects invalid rows with their row number and reason', async () => {
    const dir = temp();
    const lines = readFileSync(join(process.cwd(), 'data/penguins.csv'), 'utf8').trim().split('\n');
    const [header, ...body] = lines;
    // A quoted field with a comma and a quote in an extra column, a row with text in a number column, a short row.
    const input = [`note,${header}`, ...body.slice(0, 50).map((l, i) => `"row ${i}, ""kept""",${l}`)];
    input.splice(11, 0, `bad,Adelie,Dream,long,18,180,3000,MALE`);
    input.splice(21, 0, `short,Adelie,Dream`);
    writeFileSync(join(dir, 'in.csv'), input.join('\r\n') + '\r\n');
    const run = await score(['--input', 'in.csv', '--output', 'out/scores.csv'], dir);
    expect(run.stdout).toMatch(/scored 50 of 52 rows/);
    expect(run.stdout).toMatch(/rejected: 2 rows \(row numbers and reasons in out\/scores\.rejects\.jsonl\)/);
    expect(run.code).toBe(1);

    const out = [...parseCsv(readFileSync(join(dir, 'out/scores.csv'), 'utf8'))].map((r) => r.fields);
    expect(out[0]).toEqual(['note', ...header.split(','), 'prediction', 'confidence']);
    expect(out).toHaveLength(51);
    const rows: FeatureRow[] = out.slice(1).map((f) => Object.fromEntries(FEATURES.map((name) => [name, ((v) => (v === 'NA' || v === '' ? null : /^[A-Za-z]/.test(v) ? v : Number(v)))(f[out[0].indexOf(name)])])));
    const expected = predict(rows);
    out.slice(1).forEach((f, i) => {
      expect(f[0]).toBe(`row ${i}, "kept"`);
      expect(f.slice(1, -2).join(',')).toBe(body[i]);
      expect(f.at(-2)).toBe(expected[i].prediction);
      expect(Number(f.at(-1))).toBeCloseTo(expected[i].confidence, 12);
    });

    const rejects = rejectsOf(join(dir, 'out/scores.rejects.jsonl'));
    expect(rejects.map((r) => [r.row, r.line])).toEqual([[11, 12], [21, 22]]);
    expect(rejects[0].reason).toBe('field "culmen_length_mm": expected a finite number or an empty field, got "long"');
    expect(rejects[0].input).toMatchObject({ note: 'bad', culmen_length_mm: 'long' });
    expect(rejects[1].reason).toBe('the line has 3 fields but the header has 8');

    const tolerated = await score(['--input', 'in.csv', '--output', 'out/scores.csv', '--max-rejects', '2'], dir);
    expect(tolerated.code).toBe(0);
    const strict = await score(['--input', 'in.csv', '--output', 'out/scores.csv', '--max-rejects', '1'], dir);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/2 rejected rows is more than --max-rejects 1/);
  });

  it('exits 0 and writes no reject file when every row is valid; file:// locations and --model as serve reads it work too', async () => {
    const dir = temp();
    const run = await score(['--model', 'models:/penguins/1', '--input', `file://${join(process.cwd(), 'data/penguins.csv')}`, '--output', `file://${dir}/scores.csv`], dir);
    expect(run.stderr).toMatch(/^score: .* MB read \(100%\)$/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/scored 344 of 344 rows/);
    expect(readdirSync(dir)).toEqual(['scores.csv']);
    const out = [...parseCsv(readFileSync(join(dir, 'scores.csv'), 'utf8'))];
    const data = penguins();
    expect(out).toHaveLength(data.size + 1);
    const perClass = new Map<string, number>();
    for (const r of out.slice(1)) perClass.set(r.fields.at(-2)!, (perClass.get(r.fields.at(-2)!) ?? 0) + 1);
    expect(run.stdout).toContain(`predictions per class: ${[...perClass].map(([c, n]) => `${c} ${n}`).join(', ')}`);
  });
});

describe('rookery score on JSON Lines', () => {
  it('appends prediction and confidence to each object line as written, in order, and rejects bad lines by number', async () => {
    const dir = temp();
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: `p${i}`, ...generatedRow(i) }));
    const lines = rows.map((r) => JSON.stringify(r));
    lines.splice(5, 0, '{"island": "Dream", "culmen_length_mm": "x"');
    lines.splice(9, 0, '');
    lines.splice(12, 0, '[1, 2]');
    lines.splice(20, 0, JSON.stringify({ ...generatedRow(3), body_mass_g: 'heavy' }));
    writeFileSync(join(dir, 'in.ndjson'), lines.join('\n'));
    const run = await score(['--input', 'in.ndjson', '--output', 'out.jsonl', '--rejects', 'bad.jsonl', '--max-rejects', '3'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/scored 40 of 43 rows/);
    const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = predict(rows);
    expect(out.map((o) => o.id)).toEqual(rows.map((r) => r.id));
    out.forEach((o, i) => {
      expect(Object.keys(o)).toEqual([...Object.keys(rows[i]), 'prediction', 'confidence']);
      expect(o).toMatchObject({ ...rows[i], prediction: expected[i].prediction });
      expect(o.confidence).toBeCloseTo(expected[i].confidence, 12);
    });
    const rejects = rejectsOf(join(dir, 'bad.jsonl'));
    expect(rejects.map((r) => [r.row, r.line])).toEqual([[6, 6], [12, 13], [20, 21]]);
    expect(rejects[0].reason).toMatch(/^malformed JSON: /);
    expect(rejects[1].reason).toBe('expected a JSON object with the feature columns, got a list');
    expect(rejects[2].reason).toBe('field "body_mass_g": expected a number or null, got the string "heavy"');
  });
});

describe('rookery score on Parquet', () => {
  it('reads and writes row group by row group, keeping the column types and the order', async () => {
    const dir = temp();
    const rows = Array.from({ length: 2500 }, (_, i) => generatedRow(i));
    rows[7] = { ...rows[7], culmen_depth_mm: Number.NaN };
    writeFileSync(join(dir, 'in.parquet'), Buffer.from(parquetOf(rows, 1000)));
    const run = await score(['--input', 'in.parquet', '--output', 'out.parquet'], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/scored 2499 of 2500 rows/);
    expect(run.stderr).toMatch(/^score: 2500\/2500 rows read \(100%\)$/m);

    const file = await asyncBufferFromFile(join(dir, 'out.parquet'));
    const metadata = await parquetMetadataAsync(file);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([999, 1000, 500]);
    expect(metadata.schema.slice(1).map((e) => [e.name, e.type])).toEqual([
      ['id', 'INT64'], ['island', 'BYTE_ARRAY'], ['culmen_length_mm', 'DOUBLE'], ['culmen_depth_mm', 'DOUBLE'], ['flipper_length_mm', 'INT32'], ['body_mass_g', 'DOUBLE'], ['sex', 'BYTE_ARRAY'], ['prediction', 'BYTE_ARRAY'], ['confidence', 'DOUBLE'],
    ]);
    const out = await parquetReadObjects({ file });
    const kept = rows.map((r, i) => ({ r, i })).filter(({ i }) => i !== 7);
    const expected = predict(kept.map(({ r }) => r));
    expect(out.map((o) => o.id)).toEqual(kept.map(({ i }) => BigInt(i)));
    out.forEach((o, k) => {
      expect(o).toMatchObject({ ...kept[k].r, prediction: expected[k].prediction });
      expect(o.confidence).toBeCloseTo(expected[k].confidence, 12);
    });
    const rejects = rejectsOf(join(dir, 'out.rejects.jsonl'));
    expect(rejects).toEqual([{ row: 8, reason: 'field "culmen_depth_mm": expected a number or null, got number', input: expect.objectContaining({ id: '7', island: rows[7].island }) }]);
  });

  it('rejects every row of a Parquet file that lacks a feature column, naming the column, as the model validates it', async () => {
    const dir = temp();
    const rows = Array.from({ length: 3 }, (_, i) => generatedRow(i));
    const columnData = FEATURES.filter((f) => f !== 'sex').map((name) => ({ name, data: rows.map((r) => r[name]), type: name === 'island' ? ('STRING' as const) : ('DOUBLE' as const) }));
    writeFileSync(join(dir, 'in.parquet'), Buffer.from(parquetWriteBuffer({ columnData })));
    const run = await score(['--input', 'in.parquet', '--output', 'out.parquet', '--max-rejects', '3'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/scored 0 of 3 rows/);
    expect(rejectsOf(join(dir, 'out.rejects.jsonl')).map((r) => [r.row, r.reason])).toEqual([1, 2, 3].map((row) => [row, 'field "sex": the column is missing (send null if the value is unknown)']));
    expect((await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, 'out.parquet')) })).length).toBe(0);
  });
});

describe('rookery score usage and input errors', () => {
  const oneLine = (stderr: string) => stderr.trim().split('\n');
  it.each([
    [['--output', 'o.csv'], /^rookery: --input is required/],
    [['--input', 'i.csv'], /^rookery: --output is required/],
    [['--input', 'i.txt', '--output', 'o.txt'], /cannot tell the format of --input i\.txt from its name; pass --format csv\|jsonl\|parquet/],
    [['--input', 'i.csv', '--output', 'o.parquet'], /--output o\.parquet names parquet but the input is csv/],
    [['--input', 'i.csv', '--output', 'o.csv', '--format', 'xlsx'], /--format "xlsx" is not one of csv, jsonl, parquet/],
    [['--input', 'i.csv', '--output', 'o.csv', '--max-rejects', '-1'], /--max-rejects "-1" must be at least 0/],
    [['--input', 'i.csv', '--output', 'i.csv'], /--input, --output and --rejects must be three different files/],
    [['--input', 'gs://b/i.csv', '--output', 'o.csv'], /is not a supported location/],
    [['--input', 'i.csv', '--output', 'o.csv', '--bogus'], /Unknown option '--bogus'/],
  ])('%j exits 2 with one line', async (args, message) => {
    const run = await score(args, temp());
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });

  it('a missing input, an empty one, malformed CSV, a file that is not Parquet and a damaged one exit 1 with one line and no output', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'empty.csv'), '');
    writeFileSync(join(dir, 'broken.csv'), `${FEATURES.join(',')}\n"Dream,1,2,3,4,MALE\n`);
    writeFileSync(join(dir, 'fake.parquet'), 'island,x\n');
    // A feature column's pages overwritten: the footer reads, the column chunk does not.
    const damaged = Buffer.from(parquetOf(Array.from({ length: 50 }, (_, i) => generatedRow(i)), 50));
    const chunk = parquetMetadata(bufferOf(damaged)).row_groups[0].columns.find((c) => c.meta_data!.path_in_schema[0] === 'culmen_length_mm')!;
    damaged.fill(0xff, chunkRange(chunk).start, chunkRange(chunk).end);
    writeFileSync(join(dir, 'damaged.parquet'), damaged);
    for (const [input, message] of [
      ['nothing.csv', /--input nothing\.csv: no such file/],
      ['empty.csv', /--input empty\.csv is empty; it needs a header row/],
      ['broken.csv', /malformed CSV at line 2: a quoted field is never closed/],
      ['fake.parquet', /--input fake\.parquet is not a Parquet file/],
      ['damaged.parquet', /--input damaged\.parquet: column "culmen_length_mm" of the row group at byte \d+ cannot be read \(.+\); the file is damaged/],
    ] as const) {
      const run = await score(['--input', input, '--output', `out.${input.split('.')[1]}`], dir);
      expect(run.code, input).toBe(1);
      expect(oneLine(run.stderr).filter((l) => l.startsWith('rookery:'))).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(existsSync(join(dir, `out.${input.split('.')[1]}`))).toBe(false);
    }
    expect(readdirSync(dir).sort()).toEqual(['broken.csv', 'damaged.parquet', 'empty.csv', 'fake.parquet']);
  });
});
