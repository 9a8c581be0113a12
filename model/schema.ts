import { readFileSync } from 'node:fs';
import { UserError } from './user-error.ts';

export interface NumericFeature {
  name: string;
  type: 'numeric';
  unit?: string;
}

export interface CategoricalFeature {
  name: string;
  type: 'categorical';
  categories: string[];
}

export type Feature = NumericFeature | CategoricalFeature;

/** What the model reads, what it predicts, and which strings mean "missing". */
export interface Schema {
  name: string;
  description?: string;
  missingValues: string[];
  target: { name: string; classes: string[] };
  features: Feature[];
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks an untrusted object (a schema file, or the copy inside an artifact) and returns it typed. */
export function parseSchema(raw: unknown, where = 'schema'): Schema {
  const fail = (problem: string) => new UserError(problem, { where });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('expected a JSON object');
  const s = raw as Record<string, unknown>;
  if (typeof s.name !== 'string' || !s.name) throw fail('"name" must be a non-empty string');
  const missingValues = s.missingValues ?? [''];
  if (!isStringArray(missingValues)) throw fail('"missingValues" must be a list of strings');
  const target = s.target as Record<string, unknown> | undefined;
  if (!target || typeof target.name !== 'string' || !isStringArray(target.classes) || target.classes.length < 2) {
    throw fail('"target" must be {"name": string, "classes": [at least two strings]}');
  }
  if (!Array.isArray(s.features) || s.features.length === 0) throw fail('"features" must be a non-empty list');
  const seen = new Set<string>([target.name]);
  const features = s.features.map((f: unknown, i: number): Feature => {
    const at = `features[${i}]`;
    if (typeof f !== 'object' || f === null) throw fail(`${at} must be an object`);
    const feat = f as Record<string, unknown>;
    if (typeof feat.name !== 'string' || !feat.name) throw fail(`${at}.name must be a non-empty string`);
    if (seen.has(feat.name)) throw fail(`${at}.name "${feat.name}" is used twice`);
    seen.add(feat.name);
    if (feat.type === 'numeric') {
      return { name: feat.name, type: 'numeric', ...(typeof feat.unit === 'string' ? { unit: feat.unit } : {}) };
    }
    if (feat.type === 'categorical') {
      if (!isStringArray(feat.categories) || feat.categories.length === 0) {
        throw fail(`${at}.categories must be a non-empty list of strings`);
      }
      return { name: feat.name, type: 'categorical', categories: [...feat.categories] };
    }
    throw fail(`${at}.type must be "numeric" or "categorical", got ${JSON.stringify(feat.type)}`);
  });
  return {
    name: s.name,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    missingValues: [...missingValues],
    target: { name: target.name, classes: [...target.classes] },
    features,
  };
}

export function loadSchema(path: string): Schema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the schema file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { where: path });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`not valid JSON (${(err as Error).message})`, { where: path });
  }
  return parseSchema(raw, path);
}

/**
 * The column `rookery traffic --drift` shifts when no --drift-column is given:
 * the schema's last numeric feature (body_mass_g for the penguins).
 */
export function defaultDriftColumn(schema: Schema): string | undefined {
  return schema.features.filter((f) => f.type === 'numeric').at(-1)?.name;
}
