import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadDataset, parseDataset, rowAt, subset } from '../../model/dataset.ts';
import { penguins, penguinsSchema, PENGUINS_CSV } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-dataset-');
const HEADER = 'species,island,culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g,sex';
const GOOD = 'Adelie,Torgersen,39.1,18.7,181,3750,MALE';

/** Writes `text` to a CSV file and loads it; returns the error it must raise. */
function loadError(text: string, options = { requireTarget: true }): { err: DatasetError; file: string } {
  const file = join(tempDir(), 'data.csv');
  writeFileSync(file, text);
  try {
    loadDataset(file, penguinsSchema(), options);
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return { err: err as DatasetError, file };
  }
  throw new Error('expected the file to be rejected');
}

/** The message names the file and line (`FILE:LINE`), and the column when there is one. */
function expectPointsAt(text: string, line: number, column: string | undefined, problem: RegExp): DatasetError {
  const { err, file } = loadError(text);
  expect(err.file).toBe(file);
  expect(err.line).toBe(line);
  expect(err.column).toBe(column);
  expect(err.message).toContain(`${file}:${line}:`);
  if (column) expect(err.message).toContain(`column "${column}"`);
  expect(err.message).toMatch(problem);
  return err;
}

describe('loadDataset on data/penguins.csv', () => {
  const data = penguins();

  it('reads 344 rows column by column with the target as class indices', () => {
    expect(data.size).toBe(344);
    expect(Object.keys(data.numeric).sort()).toEqual(['body_mass_g', 'culmen_depth_mm', 'culmen_length_mm', 'flipper_length_mm']);
    expect(Object.keys(data.categorical).sort()).toEqual(['island', 'sex']);
    for (const col of Object.values(data.numeric)) expect(col).toHaveLength(344);
    for (const col of Object.values(data.categorical)) expect(col).toHaveLength(344);
    expect(data.target).toBeInstanceOf(Int32Array);
    expect(data.target).toHaveLength(344);
    const counts = [0, 0, 0];
    for (const t of data.target!) counts[t]++;
    expect(counts).toEqual([152, 68, 124]);
    expect(rowAt(data, 0)).toEqual({ island: 'Torgersen', culmen_length_mm: 39.1, culmen_depth_mm: 18.7, flipper_length_mm: 181, body_mass_g: 3750, sex: 'MALE' });
    expect(data.target![0]).toBe(0);
    expect(data.target![343]).toBe(2);
  });

  it('holds missing numbers as NaN and missing categories as null', () => {
    // Line 5: "Adelie,Torgersen,,,,,"
    for (const col of Object.values(data.numeric)) expect(col[3]).toBeNaN();
    expect(data.categorical.sex[3]).toBeNull();
    expect(data.categorical.island[3]).toBe('Torgersen');
    expect(rowAt(data, 3)).toEqual({ island: 'Torgersen', culmen_length_mm: null, culmen_depth_mm: null, flipper_length_mm: null, body_mass_g: null, sex: null });
    expect(data.categorical.sex.filter((s) => s === null)).toHaveLength(11);
    expect(Array.from(data.numeric.body_mass_g).filter(Number.isNaN)).toHaveLength(2);
  });

  it('subset takes the given rows in the given order', () => {
    const part = subset(data, [343, 0, 3]);
    expect(part.size).toBe(3);
    expect(Array.from(part.target!)).toEqual([2, 0, 0]);
    expect(rowAt(part, 0)).toEqual(rowAt(data, 343));
    expect(rowAt(part, 1)).toEqual(rowAt(data, 0));
    expect(part.numeric.culmen_length_mm[2]).toBeNaN();
  });
});

describe('loadDataset on other input', () => {
  it('accepts columns in any order, extra columns, NA for missing, spaces around values, a BOM and CRLF', () => {
    const text = `\uFEFFsex,note,species,island,body_mass_g,flipper_length_mm,culmen_depth_mm,culmen_length_mm\r\n FEMALE ,"a, note",Gentoo,Biscoe,5000,NA,1.5e1,.5\r\n`;
    const data = parseDataset(text, 'x.csv', penguinsSchema());
    expect(data.size).toBe(1);
    expect(rowAt(data, 0)).toEqual({ island: 'Biscoe', culmen_length_mm: 0.5, culmen_depth_mm: 15, flipper_length_mm: null, body_mass_g: 5000, sex: 'FEMALE' });
    expect(Array.from(data.target!)).toEqual([2]);
  });

  it('needs no target column when scoring', () => {
    const text = `${HEADER.replace('species,', '')}\n${GOOD.replace('Adelie,', '')}\n`;
    const data = parseDataset(text, 'score.csv', penguinsSchema(), { requireTarget: false });
    expect(data.size).toBe(1);
    expect(data.target).toBeUndefined();
  });
});

describe('dataset errors name the file, line and column', () => {
  it('a feature column missing from the header', () => {
    const err = expectPointsAt(`${HEADER.replace(',body_mass_g', '')}\n`, 1, 'body_mass_g', /missing from the header/);
    expect(err.message).toContain('the header has: species, island');
  });

  it('the target column missing from the header', () => {
    expectPointsAt(`${HEADER.replace('species,', '')}\n${GOOD.replace('Adelie,', '')}\n`, 1, 'species', /target column is missing/);
  });

  it('a value that is not a number', () => {
    expectPointsAt(`${HEADER}\n${GOOD}\nAdelie,Dream,forty,18,190,3500,MALE\n`, 3, 'culmen_length_mm', /"forty" is not a number/);
    expectPointsAt(`${HEADER}\n${GOOD}\n${GOOD}\nAdelie,Dream,40,18,190,0x10,MALE\n`, 4, 'body_mass_g', /"0x10" is not a number/);
    expectPointsAt(`${HEADER}\nAdelie,Dream,40,18,Infinity,3500,MALE\n`, 2, 'flipper_length_mm', /not a number/);
  });

  it('a category that is not in the schema', () => {
    const err = expectPointsAt(`${HEADER}\n${GOOD}\nAdelie,Atlantis,40,18,190,3500,MALE\n`, 3, 'island', /unknown category "Atlantis"/);
    expect(err.message).toContain('allowed: Biscoe, Dream, Torgersen');
    expectPointsAt(`${HEADER}\nAdelie,Dream,40,18,190,3500,.\n`, 2, 'sex', /unknown category "\."/);
  });

  it('an unknown or missing target class', () => {
    const unknown = expectPointsAt(`${HEADER}\n${GOOD}\nEmperor,Dream,40,18,190,3500,MALE\n`, 3, 'species', /unknown class "Emperor"/);
    expect(unknown.message).toContain('allowed: Adelie, Chinstrap, Gentoo');
    expectPointsAt(`${HEADER}\n${GOOD}\n${GOOD}\nNA,Dream,40,18,190,3500,MALE\n`, 4, 'species', /the target is missing/);
    expectPointsAt(`${HEADER}\n,Dream,40,18,190,3500,MALE\n`, 2, 'species', /the target is missing/);
  });

  it('an empty file', () => {
    const err = expectPointsAt('', 1, undefined, /the file is empty/);
    expect(err.message).toContain('species, island, culmen_length_mm');
    expectPointsAt('\n\n', 1, undefined, /the file is empty/);
  });

  it('a file with a header and no rows', () => {
    expectPointsAt(`${HEADER}\n`, 2, undefined, /header but no data rows/);
    expectPointsAt(`${HEADER}\n\n\n`, 2, undefined, /header but no data rows/);
  });

  it('a row with another number of fields than the header', () => {
    expectPointsAt(`${HEADER}\n${GOOD}\n${GOOD},extra\n`, 3, undefined, /expected 7 fields like the header, found 8/);
    expectPointsAt(`${HEADER}\n${GOOD}\nAdelie,Dream\n`, 3, undefined, /found 2/);
  });

  it('counts the lines of quoted fields with line breaks and of blank lines', () => {
    const text = `${HEADER},note\n${GOOD},"two\nlines"\n\n${GOOD},ok\nAdelie,Dream,40,18,190,heavy,MALE,x\n`;
    expectPointsAt(text, 6, 'body_mass_g', /"heavy" is not a number/);
  });

  it('a quoted field that is never closed', () => {
    expectPointsAt(`${HEADER}\n${GOOD}\nAdelie,"Dream,40,18,190,3500,MALE\n`, 3, undefined, /never closed/);
  });

  it('a file that cannot be read', () => {
    const file = join(tempDir(), 'absent.csv');
    expect(() => loadDataset(file, penguinsSchema())).toThrow(DatasetError);
    // The whole message, with no line number: the file was never read.
    expect(() => loadDataset(file, penguinsSchema())).toThrow(/^cannot read .*absent\.csv: no such file$/);
    const dir = tempDir();
    expect(() => loadDataset(dir, penguinsSchema())).toThrow(`cannot read ${dir}: it is a folder, not a CSV file`);
  });

  it('the example file itself loads (the errors above are not the loader rejecting everything)', () => {
    expect(loadDataset(PENGUINS_CSV, penguinsSchema()).size).toBe(344);
  });
});
