import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { findArtifactDir, loadArtifact, saveArtifact, type Metrics } from '../../model/artifact.ts';
import { rowAt } from '../../model/dataset.ts';
import { Predictor } from '../../model/predictor.ts';
import { DEFAULT_TRAIN_OPTIONS, trainWithCrossValidation, type TrainResult } from '../../model/train.ts';
import { penguins } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { UserError } from '../../model/user-error.ts';

const tempDir = useTempDirs('rookery-artifact-');
const data = penguins();
const rows = Array.from({ length: data.size }, (_, i) => rowAt(data, i));

function trainAndSave(dir: string, options = DEFAULT_TRAIN_OPTIONS, now?: Date): TrainResult {
  const result = trainWithCrossValidation(data, options);
  const metrics: Metrics = { evaluation: result.evaluation, options: result.options, rows: data.size };
  saveArtifact(dir, result.params, metrics, { example: data, ...(now ? { now } : {}) });
  return result;
}

const trained = (() => {
  const dir = join(tempDir(), 'model');
  const result = trainAndSave(dir, DEFAULT_TRAIN_OPTIONS, new Date('2024-05-06T07:08:09.123Z'));
  return { dir, result };
})();

/** A copy of the trained artifact to break. */
function copyOfArtifact(): string {
  const dir = join(tempDir(), 'copy');
  cpSync(trained.dir, dir, { recursive: true });
  return dir;
}

function artifactError(dir: string): UserError {
  try {
    loadArtifact(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error(`expected ${dir} to be rejected`);
}

describe('saveArtifact and loadArtifact', () => {
  it('writes the MLflow model layout', () => {
    expect(readdirSync(trained.dir).sort()).toEqual(['MLmodel', 'input_example.json', 'metrics.json', 'model.json', 'serving_input_example.json']);
  });

  it('loads a model that predicts exactly as the trained one on every row', () => {
    const loaded = loadArtifact(trained.dir);
    const original = new Predictor(trained.result.params);
    expect(loaded.params).toEqual(trained.result.params);
    expect(loaded.predictor.predict(rows)).toStrictEqual(original.predict(rows));
    expect(loaded.predictor.probabilities(rows)).toStrictEqual(original.probabilities(rows));
    // The comparison is on real predictions, not a degenerate model.
    expect(new Set(original.predict(rows).map((p) => p.prediction)).size).toBe(3);
  });

  it('writes MLmodel with the rookery flavor, the signature, the input example and creation data', () => {
    const text = readFileSync(join(trained.dir, 'MLmodel'), 'utf8');
    const mlmodel = parseYaml(text);
    expect(mlmodel.artifact_path).toBe('model');
    expect(mlmodel.flavors).toEqual({ rookery: { data: 'model.json', format: 'rookery-logistic/v1', runtime_version: '0.1.0' } });
    expect(typeof mlmodel.signature.inputs).toBe('string');
    expect(typeof mlmodel.signature.outputs).toBe('string');
    expect(JSON.parse(mlmodel.signature.inputs)).toEqual([
      { type: 'string', name: 'island', required: true },
      { type: 'double', name: 'culmen_length_mm', required: true },
      { type: 'double', name: 'culmen_depth_mm', required: true },
      { type: 'double', name: 'flipper_length_mm', required: true },
      { type: 'double', name: 'body_mass_g', required: true },
      { type: 'string', name: 'sex', required: true },
    ]);
    expect(JSON.parse(mlmodel.signature.outputs).map((c: { name: string }) => c.name)).toEqual(['prediction', 'confidence']);
    expect(mlmodel.saved_input_example_info).toEqual({
      artifact_path: 'input_example.json',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
      pandas_orient: 'split',
    });
    expect(mlmodel.utc_time_created).toBe('2024-05-06 07:08:09.123000');
    expect(mlmodel.model_uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(loadArtifact(trained.dir).mlmodel).toEqual(mlmodel);
  });

  it('stamps the current time in MLflow format when none is given', () => {
    const dir = join(tempDir(), 'now');
    const before = Date.now();
    saveArtifact(dir, trained.result.params, { evaluation: trained.result.evaluation, options: trained.result.options, rows: 344 }, { example: data, runId: 'abc123' });
    const mlmodel = parseYaml(readFileSync(join(dir, 'MLmodel'), 'utf8'));
    expect(mlmodel.utc_time_created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    const stamped = Date.parse(`${mlmodel.utc_time_created.replace(' ', 'T').slice(0, 23)}Z`);
    expect(stamped).toBeGreaterThanOrEqual(before - 1);
    expect(stamped).toBeLessThanOrEqual(Date.now());
    expect(mlmodel.run_id).toBe('abc123');
  });

  it('writes the input example in split orientation with the schema columns, and a serving example', () => {
    const columns = data.schema.features.map((f) => f.name);
    const example = JSON.parse(readFileSync(join(trained.dir, 'input_example.json'), 'utf8'));
    expect(Object.keys(example)).toEqual(['columns', 'data']);
    expect(example.columns).toEqual(columns);
    expect(example.data).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect(example.data[i]).toEqual(columns.map((c) => rowAt(data, i)[c]));
    expect(example.data[3]).toEqual(['Torgersen', null, null, null, null, null]);
    const serving = JSON.parse(readFileSync(join(trained.dir, 'serving_input_example.json'), 'utf8'));
    expect(serving).toEqual({ dataframe_split: example });
    // The example rows are valid requests.
    const asRows = example.data.map((r: unknown[]) => Object.fromEntries(columns.map((c, j) => [c, r[j]])));
    expect(loadArtifact(trained.dir).predictor.predict(asRows)).toHaveLength(5);
  });

  it('writes the evaluation and options to metrics.json', () => {
    const metrics = JSON.parse(readFileSync(join(trained.dir, 'metrics.json'), 'utf8'));
    expect(metrics.rows).toBe(344);
    expect(metrics.options).toEqual(DEFAULT_TRAIN_OPTIONS);
    expect(metrics.evaluation).toEqual(JSON.parse(JSON.stringify(trained.result.evaluation)));
  });

  it('is byte for byte the same for the same seed, apart from the creation time and uuid in MLmodel', () => {
    const a = join(tempDir(), 'a');
    const b = join(tempDir(), 'b');
    trainAndSave(a);
    trainAndSave(b);
    const files = readdirSync(a).sort();
    expect(readdirSync(b).sort()).toEqual(files);
    const volatile = /^(utc_time_created|model_uuid):/;
    for (const file of files) {
      const [x, y] = [readFileSync(join(a, file)), readFileSync(join(b, file))];
      if (file === 'MLmodel') {
        const stable = (buf: Buffer) => buf.toString('utf8').split('\n').filter((l) => !volatile.test(l));
        expect(stable(y)).toEqual(stable(x));
        expect(stable(x).length).toBe(x.toString('utf8').split('\n').length - 2);
        expect(y.equals(x)).toBe(false); // the uuid differs
      } else {
        expect(y.equals(x), file).toBe(true);
      }
    }
    // A different seed gives a different model file.
    const c = join(tempDir(), 'c');
    trainAndSave(c, { ...DEFAULT_TRAIN_OPTIONS, seed: 1 });
    expect(readFileSync(join(c, 'model.json')).equals(readFileSync(join(a, 'model.json')))).toBe(false);
  });
});

describe('loadArtifact errors name the file', () => {
  it('a folder without MLmodel', () => {
    const dir = tempDir();
    const err = artifactError(dir);
    expect(err.message).toContain(join(dir, 'MLmodel'));
    expect(err.message).toMatch(/not found/);
  });

  it('an MLmodel without the rookery flavor', () => {
    const dir = copyOfArtifact();
    writeFileSync(join(dir, 'MLmodel'), 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n');
    const err = artifactError(dir);
    expect(err.message).toContain(join(dir, 'MLmodel'));
    expect(err.message).toContain('no "rookery" flavor (found: python_function, sklearn)');
  });

  it('an MLmodel that is not YAML', () => {
    const dir = copyOfArtifact();
    writeFileSync(join(dir, 'MLmodel'), 'flavors: [unclosed\n  : :');
    const err = artifactError(dir);
    expect(err.message).toContain(join(dir, 'MLmodel'));
    expect(err.message).toMatch(/not valid YAML/);
  });

  it('a corrupted or missing model.json', () => {
    const dir = copyOfArtifact();
    const file = join(dir, 'model.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 500));
    const err = artifactError(dir);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not valid JSON/);
    rmSync(file);
    expect(artifactError(dir).message).toContain(`${file}: not found`);
  });

  it('a model.json of another format or with weights that do not fit the schema', () => {
    const dir = copyOfArtifact();
    const file = join(dir, 'model.json');
    const params = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...params, format: 'sklearn' }));
    expect(artifactError(dir).message).toContain(`${file}: unsupported model format "sklearn"`);
    writeFileSync(file, JSON.stringify({ ...params, classifier: { ...params.classifier, width: 4 } }));
    expect(artifactError(dir).message).toContain(`${file}: the classifier expects 4 inputs`);
    writeFileSync(file, JSON.stringify({ ...params, schema: { ...params.schema, features: [] } }));
    // The schema check raises a SchemaError, which names the file too.
    expect(() => loadArtifact(dir)).toThrow(`${file} (schema): "features" must be a non-empty list`);
  });
});

describe('findArtifactDir', () => {
  const at = (root: string, ...parts: string[]) => {
    const dir = join(root, ...parts);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'MLmodel'), 'flavors: {}\n');
    return dir;
  };

  it('finds MLmodel at the root and one or two folders below, not three', () => {
    const r0 = tempDir();
    expect(findArtifactDir(at(r0))).toBe(r0);
    const r1 = tempDir();
    expect(findArtifactDir(r1)).toBeUndefined();
    const d1 = at(r1, 'penguins');
    expect(findArtifactDir(r1)).toBe(d1);
    const r2 = tempDir();
    const d2 = at(r2, 'penguins', '3');
    expect(findArtifactDir(r2)).toBe(d2);
    const r3 = tempDir();
    at(r3, 'a', 'b', 'c');
    expect(findArtifactDir(r3)).toBeUndefined();
    expect(findArtifactDir(r3, 3)).toBe(join(r3, 'a', 'b', 'c'));
  });

  it('ignores files, takes folders in name order and answers undefined for a missing root', () => {
    const root = tempDir();
    writeFileSync(join(root, 'README'), 'not a folder');
    const b = at(root, 'b');
    at(root, 'c');
    expect(findArtifactDir(root)).toBe(b);
    expect(findArtifactDir(join(root, 'absent'))).toBeUndefined();
  });
});
