import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowAt, subset, type Dataset } from '../../model/dataset.ts';
import {
  assertPipelineMatches,
  fitPipeline,
  pipelineWidth,
  transformDataset,
  transformRow,
  type CategoricalParams,
  type NumericParams,
  type PipelineParams,
} from '../../model/features.ts';
import type { Schema } from '../../model/schema.ts';
import { penguins } from '../helpers/penguins.ts';

const numericParams = (p: PipelineParams, name: string) => p.features.find((f) => f.name === name) as NumericParams;

/** A dataset built in memory from columns. */
function dataset(numeric: Record<string, number[]>, categorical: Record<string, { categories: string[]; values: (string | null)[] }> = {}): Dataset {
  const schema: Schema = {
    name: 'toy',
    missingValues: [''],
    target: { name: 'label', classes: ['a', 'b'] },
    features: [
      ...Object.keys(numeric).map((name) => ({ name, type: 'numeric' as const })),
      ...Object.entries(categorical).map(([name, c]) => ({ name, type: 'categorical' as const, categories: c.categories })),
    ],
  };
  const size = Object.values(numeric)[0]?.length ?? Object.values(categorical)[0].values.length;
  return {
    schema,
    size,
    numeric: Object.fromEntries(Object.entries(numeric).map(([k, v]) => [k, Float64Array.from(v)])),
    categorical: Object.fromEntries(Object.entries(categorical).map(([k, c]) => [k, c.values])),
  };
}

/** Column `c` of a row-major matrix. */
const column = (x: Float64Array, width: number, c: number) => Array.from({ length: x.length / width }, (_, i) => x[i * width + c]);
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const popStd = (v: number[]) => Math.sqrt(meanOf(v.map((x) => (x - meanOf(v)) ** 2)));

describe('fitPipeline', () => {
  it('imputes with the mean of the present training values and scales by the population std of the imputed column', () => {
    const data = dataset({ x: [1, Number.NaN, 3, 8] });
    const p = numericParams(fitPipeline(data), 'x');
    expect(p.impute).toBe(4);
    expect(p.mean).toBe(4);
    // imputed column [1, 4, 3, 8]: deviations -3, 0, -1, 4 → variance 26/4
    expect(p.scale).toBeCloseTo(Math.sqrt(26 / 4), 14);
  });

  it('fits on the given rows only: values outside the training subset do not change the parameters', () => {
    const all = penguins();
    const train = Array.from({ length: 200 }, (_, i) => i);
    const before = fitPipeline(subset(all, train));
    const expectedMean = meanOf(train.map((i) => all.numeric.culmen_length_mm[i]).filter((v) => !Number.isNaN(v)));
    expect(numericParams(before, 'culmen_length_mm').impute).toBeCloseTo(expectedMean, 12);

    const changed: Dataset = { ...all, numeric: { ...all.numeric, culmen_length_mm: Float64Array.from(all.numeric.culmen_length_mm) } };
    changed.numeric.culmen_length_mm[300] = 1e6;
    changed.numeric.culmen_length_mm[250] = Number.NaN;
    expect(fitPipeline(subset(changed, train))).toEqual(before);
    // ...while the same change inside the subset does move them.
    changed.numeric.culmen_length_mm[10] = 1e6;
    expect(numericParams(fitPipeline(subset(changed, train)), 'culmen_length_mm').impute).toBeGreaterThan(expectedMean + 1000);
  });

  it('gives a column with no values a finite imputation and a unit scale', () => {
    const p = numericParams(fitPipeline(dataset({ x: [Number.NaN, Number.NaN] })), 'x');
    expect(p).toEqual({ name: 'x', type: 'numeric', impute: 0, mean: 0, scale: 1 });
    expect(numericParams(fitPipeline(dataset({ x: [5, 5, 5] })), 'x').scale).toBe(1);
  });

  it('is plain JSON: a JSON round trip gives equal parameters', () => {
    const p = fitPipeline(penguins());
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(pipelineWidth(p)).toBe(3 + 4 + 2);
    const empty = fitPipeline(dataset({ x: [Number.NaN] }, { c: { categories: ['u'], values: [null] } }));
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
  });

  it('copies the categories of the schema in order', () => {
    const p = fitPipeline(penguins());
    expect(p.features[0]).toEqual({ name: 'island', type: 'categorical', categories: ['Biscoe', 'Dream', 'Torgersen'] });
    expect((p.features[0] as CategoricalParams).categories).not.toBe((penguins().schema.features[0] as { categories: string[] }).categories);
  });
});

describe('transformDataset', () => {
  const data = penguins();
  const params = fitPipeline(data);
  const width = pipelineWidth(params);
  const x = transformDataset(params, data);

  it('standardizes each numeric column of the training set to mean 0 and population std 1', () => {
    expect(x).toHaveLength(344 * width);
    for (const c of [3, 4, 5, 6]) {
      const col = column(x, width, c);
      expect(Math.abs(meanOf(col))).toBeLessThan(1e-12);
      expect(popStd(col)).toBeCloseTo(1, 12);
    }
  });

  it('writes the imputed value for a missing number', () => {
    // Row 3 has every number missing: each standardizes to (impute - mean) / scale = 0.
    for (const c of [3, 4, 5, 6]) expect(x[3 * width + c]).toBe(0);
  });

  it('one-hot encodes known categories and leaves missing ones all zeros', () => {
    expect(Array.from(x.subarray(0, 3))).toEqual([0, 0, 1]); // Torgersen
    expect(Array.from(x.subarray(7, 9))).toEqual([1, 0]); // MALE
    expect(Array.from(x.subarray(3 * width + 7, 3 * width + 9))).toEqual([0, 0]); // sex missing
    for (let i = 0; i < data.size; i++) {
      const island = x.subarray(i * width, i * width + 3);
      expect(island.reduce((a, b) => a + b, 0)).toBe(1);
      expect(island[['Biscoe', 'Dream', 'Torgersen'].indexOf(data.categorical.island[i]!)]).toBe(1);
    }
  });

  it('encodes a category the pipeline does not know as all zeros, without throwing', () => {
    const d = dataset({ n: [1, 2] }, { c: { categories: ['red', 'blue'], values: ['red', 'blue'] } });
    const p = fitPipeline(d);
    const other = { ...d, categorical: { c: ['green', 'blue'] } };
    expect(Array.from(transformDataset(p, other))).toEqual([-1, 0, 0, 1, 0, 1]);
  });

  it('transformRow gives exactly the row of transformDataset, for every penguin', () => {
    const out = new Float64Array(width + 4).fill(7);
    for (let i = 0; i < data.size; i++) {
      transformRow(params, rowAt(data, i), out, 2);
      expect(Array.from(out.subarray(2, 2 + width))).toEqual(Array.from(x.subarray(i * width, (i + 1) * width)));
    }
    // It writes only its own range.
    expect([out[0], out[1], out[width + 2], out[width + 3]]).toEqual([7, 7, 7, 7]);
  });

  it('transformRow treats null and an absent key as missing, and an unknown or mistyped category as all zeros', () => {
    const out = new Float64Array(width).fill(9);
    const row = { ...rowAt(data, 0), island: 'Atlantis', sex: null, culmen_length_mm: null };
    expect(() => transformRow(params, row, out, 0)).not.toThrow();
    expect(Array.from(out.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(out.subarray(7, 9))).toEqual([0, 0]);
    expect(out[3]).toBe(0);
    const { body_mass_g: _, ...absent } = rowAt(data, 0);
    transformRow(params, { ...absent, island: 3 as unknown as string }, out, 0);
    expect(out[6]).toBe(0);
    expect(Array.from(out.subarray(0, 3))).toEqual([0, 0, 0]);
  });
});

describe('assertPipelineMatches', () => {
  it('rejects parameters fitted for other features', () => {
    const params = fitPipeline(penguins());
    expect(() => assertPipelineMatches(params, penguins().schema)).not.toThrow();
    const other = { ...penguins().schema, features: penguins().schema.features.slice(1) };
    expect(() => assertPipelineMatches(params, other)).toThrow(/fitted for \[island:categorical/);
  });
});

describe('pipeline properties', () => {
  const value = fc.oneof(
    { weight: 1, arbitrary: fc.constant(Number.NaN) },
    { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  );

  it('numeric columns with missing values transform to finite numbers; missing ones to (impute - mean) / scale', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 40 }), (rows) => {
        const d = dataset({ a: rows.map((r) => r[0]), b: rows.map((r) => r[1]) });
        const params = fitPipeline(d);
        const out = transformDataset(params, d);
        expect(out.every(Number.isFinite)).toBe(true);
        params.features.forEach((f, c) => {
          const p = f as NumericParams;
          expect(Number.isFinite(p.impute) && Number.isFinite(p.mean) && p.scale > 0 && Number.isFinite(p.scale)).toBe(true);
          const present = rows.map((r) => r[c]).filter((v) => !Number.isNaN(v));
          if (present.length) expect(p.impute).toBeCloseTo(meanOf(present), 6);
          rows.forEach((r, i) => {
            const expected = ((Number.isNaN(r[c]) ? p.impute : r[c]) - p.mean) / p.scale;
            expect(out[i * 2 + c]).toBe(expected);
          });
        });
        // Saved as JSON, the pipeline transforms every row to the same numbers; `+ 0` folds -0 into 0, since JSON has no -0
        // (a mean of tiny negative values can be -0: fast-check found [[-3.5e-323, NaN], [3e-323, NaN], [NaN, 0]]).
        const reloaded = JSON.parse(JSON.stringify(params));
        expect(Array.from(transformDataset(reloaded, d), (v) => v + 0)).toEqual(Array.from(out, (v) => v + 0));
      }),
      { numRuns: 200 },
    );
  });

  it('a one-hot block sums to 1 for a known category and 0 for anything else, in both transforms', () => {
    const categories = ['red', 'blue', 'green'];
    const cat = fc.oneof(fc.constantFrom(...categories), fc.string({ maxLength: 6 }), fc.constant(null));
    fc.assert(
      fc.property(fc.array(cat, { minLength: 1, maxLength: 30 }), (values) => {
        const d = dataset({}, { c: { categories, values } });
        const params = fitPipeline(d);
        const out = transformDataset(params, d);
        const row = new Float64Array(3);
        values.forEach((v, i) => {
          const block = Array.from(out.subarray(i * 3, i * 3 + 3));
          const known = v !== null && categories.includes(v);
          expect(block.reduce((a, b) => a + b, 0)).toBe(known ? 1 : 0);
          if (known) expect(block[categories.indexOf(v)]).toBe(1);
          transformRow(params, { c: v }, row, 0);
          expect(Array.from(row)).toEqual(block);
        });
      }),
      { numRuns: 200 },
    );
  });
});
