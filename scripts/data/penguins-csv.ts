// Writes data/penguins.csv from the copy of the Palmer penguins data that the
// vega-datasets package ships (data/penguins.json), renaming its columns to the
// course's. Run once to reproduce the committed file: `npm run data:penguins`.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const source = require.resolve('vega-datasets/data/penguins.json');
const rows = JSON.parse(readFileSync(source, 'utf8')) as Record<string, string | number | null>[];

const columns: [string, string][] = [
  ['species', 'Species'],
  ['island', 'Island'],
  ['culmen_length_mm', 'Beak Length (mm)'],
  ['culmen_depth_mm', 'Beak Depth (mm)'],
  ['flipper_length_mm', 'Flipper Length (mm)'],
  ['body_mass_g', 'Body Mass (g)'],
  ['sex', 'Sex'],
];

// The source has one sex recorded as "." (unknown): it is written as missing.
const cell = (v: string | number | null | undefined) => (v === null || v === undefined || v === '.' ? '' : String(v));

const lines = [columns.map(([name]) => name).join(',')];
for (const row of rows) lines.push(columns.map(([, from]) => cell(row[from])).join(','));
writeFileSync(new URL('../../data/penguins.csv', import.meta.url), `${lines.join('\n')}\n`);
console.log(`wrote ${rows.length} rows to data/penguins.csv`);
