// Writes data/cars.csv from the copy of the classic Auto MPG data that the
// vega-datasets package ships (data/cars.json): 406 cars of 1970-1982, the
// target being where each was made (USA, Europe, Japan). Columns are renamed
// to snake_case and the car's name is left out (it gives the origin away).
// Run once to reproduce the committed file: `npm run data:cars`.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const source = require.resolve('vega-datasets/data/cars.json');
const rows = JSON.parse(readFileSync(source, 'utf8')) as Record<string, string | number | null>[];

const columns: [string, (row: Record<string, string | number | null>) => string | number | null][] = [
  ['origin', (r) => r.Origin],
  ['cylinders', (r) => r.Cylinders],
  ['miles_per_gallon', (r) => r.Miles_per_Gallon],
  ['displacement_cu_in', (r) => r.Displacement],
  ['horsepower', (r) => r.Horsepower],
  ['acceleration_s', (r) => r.Acceleration],
  // "1970-01-01" -> 1970: the source keeps only the model year.
  ['model_year', (r) => (typeof r.Year === 'string' ? Number(r.Year.slice(0, 4)) : r.Year)],
  ['weight_lbs', (r) => r.Weight_in_lbs],
];

const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));

const lines = [columns.map(([name]) => name).join(',')];
for (const row of rows) lines.push(columns.map(([, value]) => cell(value(row))).join(','));
writeFileSync(new URL('../../data/cars.csv', import.meta.url), `${lines.join('\n')}\n`);
console.log(`wrote ${rows.length} rows to data/cars.csv`);
