import { describe, expect, it } from 'vitest';
import { parseDataset } from '../../model/dataset.ts';
import { profileDataset } from '../../model/data-profile.ts';
import type { Schema } from '../../model/schema.ts';
import { penguins } from '../helpers/penguins.ts';

const schema: Schema = {
  name: 'toy',
  missingValues: ['', 'NA'],
  target: { name: 'kind', classes: ['a', 'b', 'c'] },
  features: [
    { name: 'x', type: 'numeric' },
    { name: 'colour', type: 'categorical', categories: ['red', 'blue'] },
  ],
};

describe('profileDataset', () => {
  it('counts rows per class and missing values per column, worked by hand', () => {
    // 5 rows: classes a a b a b (c never occurs); x missing twice ('' and NA), colour once.
    const csv = 'kind,x,colour\na,1,red\na,,blue\nb,NA,\na,2.5,red\nb,3,blue\n';
    const profile = profileDataset(parseDataset(csv, 'toy.csv', schema));
    expect(profile).toEqual({
      rows: 5,
      classes: [
        { class: 'a', count: 3, share: 0.6 },
        { class: 'b', count: 2, share: 0.4 },
        { class: 'c', count: 0, share: 0 },
      ],
      missing: [
        { column: 'x', type: 'numeric', missing: 2, share: 0.4 },
        { column: 'colour', type: 'categorical', missing: 1, share: 0.2 },
      ],
    });
  });

  it('matches the penguins file: 344 rows, 152 Adelie, 68 Chinstrap, 124 Gentoo; 2 missing values in each measurement, 11 missing sexes', () => {
    const profile = profileDataset(penguins());
    expect(profile.rows).toBe(344);
    expect(profile.classes.map((c) => [c.class, c.count])).toEqual([
      ['Adelie', 152],
      ['Chinstrap', 68],
      ['Gentoo', 124],
    ]);
    expect(Object.fromEntries(profile.missing.map((m) => [m.column, m.missing]))).toEqual({ island: 0, culmen_length_mm: 2, culmen_depth_mm: 2, flipper_length_mm: 2, body_mass_g: 2, sex: 11 });
  });

  it('refuses a dataset without labels', () => {
    const unlabeled = parseDataset('x,colour\n1,red\n', 'toy.csv', schema, { requireTarget: false });
    expect(() => profileDataset(unlabeled)).toThrow('no target column');
  });
});
