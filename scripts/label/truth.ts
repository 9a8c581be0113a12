import { rowAt, type Dataset, type FeatureValue } from '../../model/dataset.ts';
import { createRandom } from '../../model/random.ts';
import type { Schema } from '../../model/schema.ts';

/**
 * A row's identity for matching a captured row to a dataset row: every
 * feature in schema order, numbers by their shortest round-trip text (a value
 * sent as JSON or CSV and parsed back is the same double, so the same text),
 * strings trimmed, missing as one marker. A drifted row changes a number and
 * so matches nothing.
 */
export function rowKey(schema: Schema, value: (feature: string) => FeatureValue | undefined): string {
  const parts = schema.features.map((f) => {
    const v = value(f.name);
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '\u0000';
    if (typeof v === 'number') return f.type === 'numeric' ? String(v) : `\u0001${String(v)}`;
    const text = v.trim();
    if (schema.missingValues.includes(text)) return '\u0000';
    if (f.type === 'numeric') {
      const n = Number(text);
      return text !== '' && Number.isFinite(n) ? String(n) : `\u0001${text}`;
    }
    return text;
  });
  return parts.join('\u001f');
}

/** The true class of every dataset row, by row key; rows whose features repeat with different classes keep the first. */
export function truthIndex(data: Dataset): Map<string, string> {
  if (!data.target) throw new Error('the dataset has no target column to take true labels from');
  const classes = data.schema.target.classes;
  const index = new Map<string, string>();
  for (let i = 0; i < data.size; i++) {
    const row = rowAt(data, i);
    const key = rowKey(data.schema, (f) => row[f]);
    if (!index.has(key)) index.set(key, classes[data.target[i]]);
  }
  return index;
}

/** FNV-1a: a stable 32-bit seed from a row's identity, so a row gets the same label on every run. */
function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A stand-in for a human label where the truth is unknown: the prediction with
 * probability `accuracy`, otherwise one of the other classes. Drawn from a
 * generator seeded by the row's identity (see OccurrenceIds), so re-running
 * gives the same labels.
 */
export function simulatedLabel(id: string, prediction: string | null, classes: readonly string[], accuracy: number, seed: number): string {
  const random = createRandom(hash(id, seed));
  const keep = random();
  const pick = random();
  if (prediction !== null && classes.includes(prediction)) {
    if (keep < accuracy) return prediction;
    const others = classes.filter((c) => c !== prediction);
    return others[Math.floor(pick * others.length)];
  }
  return classes[Math.floor(pick * classes.length)];
}

/**
 * Where a label came from, as `rookery label` records it beside the label
 * (SQLite: the label_source column; ground truth: rookeryLabelSource), so the
 * monitor can say how many of its labels were simulated.
 */
export type LabelSource = 'dataset' | 'simulated';

/**
 * A captured row's identity for seeding its simulated label: its content (the
 * row key) and how many rows with the same content came before it. Request
 * ids are random and arrival order varies with concurrency, so neither may
 * seed labels; rows of equal content get the same prediction, so whichever of
 * them comes first, the labels drawn are the same multiset and every figure
 * computed from them is the same run after run.
 */
export class OccurrenceIds {
  private readonly seen = new Map<string, number>();

  next(key: string): string {
    const n = this.seen.get(key) ?? 0;
    this.seen.set(key, n + 1);
    return `${key}\u001e${n}`;
  }
}

export interface LabelCounts {
  /** Rows labeled in this run. */
  labeled: number;
  /** …of which from a matching dataset row. */
  fromDataset: number;
  /** …of which simulated from the prediction. */
  simulated: number;
  /** Rows that already had a label and were left alone. */
  alreadyLabeled: number;
}
