import { describe, expect, it } from 'vitest';
import { rowAt } from '../../model/dataset.ts';
import type { FeatureColumn, NumericParams } from '../../model/features.ts';
import { InvalidRowsError, Predictor, validateRows } from '../../model/predictor.ts';
import { DEFAULT_TRAIN_OPTIONS, fitModel } from '../../model/train.ts';
import { penguins, penguinsSchema } from '../helpers/penguins.ts';

const data = penguins();
const schema = penguinsSchema();
const params = fitModel(data, DEFAULT_TRAIN_OPTIONS);
const predictor = new Predictor(params);
const row = (i: number) => rowAt(data, i);
const trainingMean = (name: string) => (params.pipeline.features.find((f) => f.name === name) as NumericParams).impute;

describe('validateRows', () => {
  it('accepts rows of the training data, including nulls', () => {
    expect(validateRows(schema, [row(0), row(3), row(200)])).toEqual([]);
  });

  it('names the row and field of an absent key', () => {
    const { body_mass_g: _, ...noMass } = row(1);
    const issues = validateRows(schema, [row(0), noMass]);
    expect(issues).toEqual([{ row: 1, field: 'body_mass_g', message: expect.stringMatching(/missing.*send null/) }]);
  });

  it('names the row and field of a value of the wrong type', () => {
    const issues = validateRows(schema, [
      { ...row(0), culmen_length_mm: '39.1' },
      { ...row(1), island: 2 },
      { ...row(2), flipper_length_mm: Number.NaN, sex: true },
      { ...row(2), body_mass_g: [3750] },
    ]);
    expect(issues).toEqual([
      { row: 0, field: 'culmen_length_mm', message: 'expected a number or null, got the string "39.1"' },
      { row: 1, field: 'island', message: 'expected a string (one of Biscoe, Dream, Torgersen) or null, got number' },
      { row: 2, field: 'flipper_length_mm', message: 'expected a number or null, got number' },
      { row: 2, field: 'sex', message: expect.stringContaining('expected a string (one of MALE, FEMALE) or null, got boolean') },
      { row: 3, field: 'body_mass_g', message: 'expected a number or null, got a list' },
    ]);
  });

  it('names a row that is not an object', () => {
    const issues = validateRows(schema, [row(0), [1, 2], 'island', null, 7]);
    expect(issues.map((i) => [i.row, i.field])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, undefined],
      [4, undefined],
    ]);
    expect(issues[0].message).toBe('expected an object with the columns island, culmen_length_mm, culmen_depth_mm, flipper_length_mm, body_mass_g, sex, got a list');
    expect(issues[2].message).toMatch(/got null$/);
  });

  it('stops at maxIssues, even inside a row with several problems', () => {
    expect(validateRows(schema, Array.from({ length: 50 }, () => ({})), 20)).toHaveLength(20);
    expect(validateRows(schema, [{}], 2)).toEqual([
      { row: 0, field: 'island', message: expect.any(String) },
      { row: 0, field: 'culmen_length_mm', message: expect.any(String) },
    ]);
    expect(validateRows(schema, Array.from({ length: 50 }, () => ({}))).length).toBe(20);
  });
});

describe('Predictor.predict', () => {
  it('rejects invalid rows with an error naming row and field', () => {
    const { sex: _, ...noSex } = row(0);
    expect(() => predictor.predict([row(0), noSex])).toThrow(InvalidRowsError);
    expect(() => predictor.predict([row(0), noSex])).toThrow('row 1, field "sex": the column is missing');
    let caught: unknown;
    try {
      predictor.predict([{ ...row(0), body_mass_g: 'heavy' }]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidRowsError);
    expect((caught as InvalidRowsError).issues).toEqual([{ row: 0, field: 'body_mass_g', message: expect.any(String) }]);
    const many = Array.from({ length: 7 }, () => 'x');
    expect(() => predictor.predict(many)).toThrow(/row 4: .*; and 2 more$/);
  });

  it('imputes an explicit null with the training mean', () => {
    const base = row(10);
    const withNull = predictor.predict([{ ...base, culmen_length_mm: null, body_mass_g: null }]);
    const withMean = predictor.predict([{ ...base, culmen_length_mm: trainingMean('culmen_length_mm'), body_mass_g: trainingMean('body_mass_g') }]);
    expect(withNull).toStrictEqual(withMean);
    // And the value matters: a real measurement gives another confidence.
    expect(predictor.predict([base])[0].confidence).not.toBe(withNull[0].confidence);
  });

  it('encodes an unknown category like a missing one instead of throwing', () => {
    const base = row(20);
    const unknown = predictor.predict([{ ...base, island: 'Atlantis', sex: 'UNKNOWN' }]);
    expect(unknown).toStrictEqual(predictor.predict([{ ...base, island: null, sex: null }]));
    expect(params.schema.target.classes).toContain(unknown[0].prediction);
  });

  it('ignores extra keys', () => {
    const base = row(30);
    expect(predictor.predict([{ ...base, species: 'Gentoo', id: 9, note: { a: 1 } }])).toStrictEqual(predictor.predict([base]));
  });

  it('answers in request order, each row as if alone', () => {
    const picks = [0, 200, 300, 3, 150, 250];
    const batch = predictor.predict(picks.map(row));
    expect(batch).toStrictEqual(picks.map((i) => predictor.predict([row(i)])[0]));
    expect(predictor.predict([...picks].reverse().map(row))).toStrictEqual([...batch].reverse());
    // Adelie, Chinstrap and Gentoo rows of the training data.
    expect(batch.slice(0, 3).map((p) => p.prediction)).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(predictor.predict([])).toEqual([]);
  });

  it('gives the confidence of the most probable class', () => {
    const probabilities = predictor.probabilities([row(5), row(205)]);
    const predictions = predictor.predict([row(5), row(205)]);
    probabilities.forEach((p, i) => {
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(predictions[i].confidence).toBe(Math.max(...p));
      expect(predictions[i].prediction).toBe(predictor.classes[p.indexOf(Math.max(...p))]);
    });
  });
});

describe('Predictor.predictColumns', () => {
  /** Rows as a columnar reader holds them: numeric features unboxed with a missing mask, categories in arrays. */
  const columnsOf = (rows: Record<string, unknown>[]): FeatureColumn[] =>
    schema.features.map((f) => {
      const values = rows.map((r) => r[f.name] ?? null);
      if (f.type === 'categorical') return { values };
      return { numbers: Float64Array.from(values, (v) => (v === null ? 0 : (v as number))), missing: Uint8Array.from(values, (v) => (v === null ? 1 : 0)) };
    });
  // Training rows with missing values (rows 3 and 339 of the penguins), an unknown island and a null sex.
  const rows = [row(0), row(3), row(339), { ...row(5), island: 'Atlantis' }, { ...row(8), sex: null }, row(150), row(300)];

  it('predicts a run of rows into the arrays given, at the offset given, as predictValid does the row objects', () => {
    expect([rows[1].culmen_length_mm, rows[2].sex]).toEqual([null, null]);
    const predictions = new Array<string>(8).fill('');
    const confidences = new Float64Array(8);
    expect(predictor.predictColumns(columnsOf(rows), 2, 6, predictions, confidences, 1)).toBe(true);
    const expected = predictor.predictValid(rows.slice(2, 6));
    expect(predictions).toEqual(['', ...expected.map((p) => p.prediction), '', '', '']);
    expect([...confidences.subarray(1, 5)]).toEqual(expected.map((p) => p.confidence));
  });

  it('answers false for rows validateRows would refuse, so the caller scores them as objects: a number not finite, a category not a string, numbers held as values', () => {
    const out = () => [new Array<string>(rows.length), new Float64Array(rows.length)] as const;
    const infinite = columnsOf([...rows.slice(0, 3), { ...row(4), body_mass_g: Number.POSITIVE_INFINITY }]);
    expect(predictor.predictColumns(infinite, 0, 4, ...out(), 0)).toBe(false);
    // The same column, read from the rows before the bad one: the check covers only the rows asked for.
    expect(predictor.predictColumns(infinite, 0, 3, ...out(), 0)).toBe(true);
    const numericIsland = columnsOf(rows).map((c, i) => (schema.features[i].name === 'island' ? { numbers: new Float64Array(rows.length), missing: new Uint8Array(rows.length) } : c));
    expect(predictor.predictColumns(numericIsland, 0, rows.length, ...out(), 0)).toBe(false);
    const textMass = columnsOf(rows).map((c, i) => (schema.features[i].name === 'body_mass_g' ? { values: rows.map((r) => String(r.body_mass_g)) } : c));
    expect(predictor.predictColumns(textMass, 0, rows.length, ...out(), 0)).toBe(false);
    expect(predictor.predictColumns(columnsOf(rows).slice(1), 0, rows.length, ...out(), 0)).toBe(false);
  });
});

describe('new Predictor', () => {
  it('rejects a classifier that does not fit the pipeline or the classes', () => {
    expect(() => new Predictor({ ...params, classifier: { ...params.classifier, width: 5 } })).toThrow(/expects 5 inputs and 3 classes, the pipeline gives 9/);
    expect(() => new Predictor({ ...params, pipeline: { features: params.pipeline.features.slice(1) } })).toThrow(/fitted for/);
  });
});
