import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSchema, parseSchema } from '../../model/schema.ts';
import { PENGUINS_SCHEMA } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { UserError } from '../../model/user-error.ts';

const tempDir = useTempDirs('rookery-schema-');

const valid = () => ({
  name: 'toy',
  missingValues: ['', 'NA'],
  target: { name: 'label', classes: ['yes', 'no'] },
  features: [
    { name: 'x', type: 'numeric', unit: 'mm' },
    { name: 'colour', type: 'categorical', categories: ['red', 'blue'] },
  ],
});

function schemaError(raw: unknown, where = 'schema.json'): UserError {
  try {
    parseSchema(raw, where);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message.startsWith(`${where}: `)).toBe(true);
    return err as UserError;
  }
  throw new Error('expected the schema to be rejected');
}

describe('parseSchema', () => {
  it('returns a typed copy of a valid schema', () => {
    const raw = valid();
    const schema = parseSchema(raw);
    expect(schema).toEqual(raw);
    raw.features[1].categories!.push('green');
    expect(schema.features[1]).toEqual({ name: 'colour', type: 'categorical', categories: ['red', 'blue'] });
  });

  it('defaults missingValues to the empty string', () => {
    const { missingValues: _, ...raw } = valid();
    expect(parseSchema(raw).missingValues).toEqual(['']);
  });

  it('loads data/penguins.schema.json', () => {
    const schema = loadSchema(PENGUINS_SCHEMA);
    expect(schema.target).toEqual({ name: 'species', classes: ['Adelie', 'Chinstrap', 'Gentoo'] });
    expect(schema.features.map((f) => `${f.name}:${f.type}`)).toEqual([
      'island:categorical',
      'culmen_length_mm:numeric',
      'culmen_depth_mm:numeric',
      'flipper_length_mm:numeric',
      'body_mass_g:numeric',
      'sex:categorical',
    ]);
  });

  it('rejects a feature name used twice, naming it', () => {
    const raw = valid();
    raw.features.push({ name: 'x', type: 'numeric', unit: 'g' });
    expect(schemaError(raw).message).toContain('features[2].name "x" is used twice');
  });

  it('rejects a feature named like the target', () => {
    const raw = valid();
    raw.features[0].name = 'label';
    expect(schemaError(raw).message).toContain('features[0].name "label" is used twice');
  });

  it('rejects an unknown feature type, showing it', () => {
    const raw = valid();
    (raw.features[0] as { type: string }).type = 'float';
    expect(schemaError(raw).message).toContain('features[0].type must be "numeric" or "categorical", got "float"');
    delete (raw.features[0] as { type?: string }).type;
    expect(schemaError(raw).message).toContain('got undefined');
  });

  it('rejects a categorical feature without categories', () => {
    const raw = valid();
    raw.features[1].categories = [];
    expect(schemaError(raw).message).toContain('features[1].categories must be a non-empty list of strings');
    delete raw.features[1].categories;
    expect(schemaError(raw).message).toContain('features[1].categories');
    (raw.features[1] as { categories: unknown }).categories = ['red', 3];
    expect(schemaError(raw).message).toContain('features[1].categories');
  });

  it('rejects a bad target, an empty feature list and a non-object', () => {
    expect(schemaError({ ...valid(), target: { name: 'label', classes: ['only'] } }).message).toContain('"target" must be');
    expect(schemaError({ ...valid(), target: undefined }).message).toContain('"target" must be');
    expect(schemaError({ ...valid(), features: [] }).message).toContain('"features" must be a non-empty list');
    expect(schemaError({ ...valid(), name: '' }).message).toContain('"name" must be a non-empty string');
    expect(schemaError({ ...valid(), missingValues: ['', null] }).message).toContain('"missingValues"');
    expect(schemaError({ ...valid(), features: [null] }).message).toContain('features[0] must be an object');
    expect(schemaError([]).message).toContain('expected a JSON object');
    expect(schemaError(null).message).toContain('expected a JSON object');
  });
});

describe('loadSchema', () => {
  it('names the file when it cannot be read or is not JSON', () => {
    const dir = tempDir();
    const absent = join(dir, 'absent.json');
    expect(() => loadSchema(absent)).toThrow(UserError);
    expect(() => loadSchema(absent)).toThrow(`${absent}: cannot read the schema file (ENOENT)`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"name": "toy",');
    expect(() => loadSchema(broken)).toThrow(`${broken}: not valid JSON`);
  });

  it('names the file when its content is invalid', () => {
    const file = join(tempDir(), 'dup.json');
    const raw = valid();
    raw.features.push({ name: 'colour', type: 'numeric', unit: '' });
    writeFileSync(file, JSON.stringify(raw));
    expect(() => loadSchema(file)).toThrow(`${file}: features[2].name "colour" is used twice`);
  });
});
