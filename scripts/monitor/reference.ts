import { loadDataset } from '../../model/dataset.ts';
import type { Schema } from '../../model/schema.ts';

/** The reference data (the training set, as the course uses it): feature columns and, when present, the true class of each row. */
export interface ReferenceData {
  path: string;
  size: number;
  columns: Record<string, Float64Array | (string | null)[]>;
  /** The target column as class names; the reference's "predictions", as the course sets prediction = the target (species for the penguins). */
  target?: string[];
}

export function loadReference(path: string, schema: Schema): ReferenceData {
  const data = loadDataset(path, schema, { requireTarget: false });
  const columns: Record<string, Float64Array | (string | null)[]> = {};
  for (const f of schema.features) columns[f.name] = f.type === 'numeric' ? data.numeric[f.name] : data.categorical[f.name];
  return {
    path,
    size: data.size,
    columns,
    ...(data.target ? { target: Array.from(data.target, (k) => schema.target.classes[k]) } : {}),
  };
}
