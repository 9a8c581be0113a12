import type { Dataset } from './dataset.ts';

export interface ClassCount {
  class: string;
  count: number;
  /** count / rows. */
  share: number;
}

export interface ColumnMissing {
  column: string;
  type: 'numeric' | 'categorical';
  missing: number;
  /** missing / rows. */
  share: number;
}

/** What the training data looked like: the report's "data" section, kept in metrics.json. */
export interface DataProfile {
  rows: number;
  /** Rows per class of the target, in the schema's class order (classes with no rows included, at 0). */
  classes: ClassCount[];
  /** Missing values per feature column, in the schema's column order. */
  missing: ColumnMissing[];
}

/** Counts rows per class and missing values per feature column of a labeled dataset. */
export function profileDataset(data: Dataset): DataProfile {
  if (!data.target) throw new Error('the dataset has no target column to count classes of');
  const share = (n: number) => (data.size ? n / data.size : 0);
  const counts = new Array<number>(data.schema.target.classes.length).fill(0);
  for (const c of data.target) counts[c]++;
  const missing = data.schema.features.map((f) => {
    let n = 0;
    if (f.type === 'numeric') for (const v of data.numeric[f.name]) n += Number.isNaN(v) ? 1 : 0;
    else for (const v of data.categorical[f.name]) n += v === null ? 1 : 0;
    return { column: f.name, type: f.type, missing: n, share: share(n) };
  });
  return {
    rows: data.size,
    classes: data.schema.target.classes.map((name, c) => ({ class: name, count: counts[c], share: share(counts[c]) })),
    missing,
  };
}
