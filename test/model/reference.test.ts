import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModelArchive } from '../../model/archive.ts';
import { modelContentHash, modelFiles } from '../../model/content-hash.ts';
import { parseModelReference } from '../../model/reference.ts';
import { UserError } from '../../model/user-error.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-reference-');

describe('parseModelReference: one reading for serve, deploy, cdk -c model and the Azure app', () => {
  it('models:/ is always a registry entry, even when a folder of that name exists', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'models:', 'penguins'), { recursive: true });
    expect(parseModelReference('models:/penguins', cwd)).toEqual({ kind: 'registry', ref: { name: 'penguins' } });
    expect(parseModelReference(' models:/penguins@champion ', cwd)).toEqual({ kind: 'registry', ref: { name: 'penguins', alias: 'champion' } });
  });

  it('NAME/VERSION and NAME@ALIAS are registry entries unless such a folder exists', () => {
    const cwd = tempDir();
    expect(parseModelReference('penguins/3', cwd)).toEqual({ kind: 'registry', ref: { name: 'penguins', version: 3 } });
    expect(parseModelReference('penguins@staging', cwd)).toEqual({ kind: 'registry', ref: { name: 'penguins', alias: 'staging' } });
    mkdirSync(join(cwd, 'penguins', '3'), { recursive: true });
    expect(parseModelReference('penguins/3', cwd)).toEqual({ kind: 'dir', dir: join(cwd, 'penguins', '3') });
  });

  it('anything else is a folder, relative to cwd, which the resolver reports if it is missing', () => {
    const cwd = tempDir();
    expect(parseModelReference('penguins', cwd)).toEqual({ kind: 'dir', dir: join(cwd, 'penguins') });
    expect(parseModelReference('/abs/model', cwd)).toEqual({ kind: 'dir', dir: '/abs/model' });
  });

  it('an empty or malformed registry reference is a one-line UserError naming the accepted forms', () => {
    expect(() => parseModelReference('  ', tempDir())).toThrow(UserError);
    expect(() => parseModelReference('models:/pen guins', tempDir())).toThrow(/is not a model reference; write models:\/NAME@ALIAS, models:\/NAME\/VERSION or a directory path$/);
  });
});

describe('the model content hash', () => {
  function model(dir: string): string {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'MLmodel'), 'flavors: {}\n');
    writeFileSync(join(dir, 'model.json'), '{"w":[1,2]}');
    writeFileSync(join(dir, 'sub', 'x.txt'), 'x');
    return dir;
  }

  it('ignores the registry bookkeeping and dotfiles, so a registry version and its copy hash the same', () => {
    const a = model(join(tempDir(), 'a'));
    const b = model(join(tempDir(), 'b'));
    writeFileSync(join(b, 'version.json'), '{"version":3}');
    writeFileSync(join(b, '.DS_Store'), 'junk');
    expect(modelFiles(b).map((f) => f.path)).toEqual(['MLmodel', 'model.json', 'sub/x.txt']);
    expect(modelContentHash(modelFiles(b))).toBe(modelContentHash(modelFiles(a)));
  });

  it('changes with any byte or file name, and is the SageMaker archive identity', () => {
    const dir = model(join(tempDir(), 'm'));
    const before = modelContentHash(modelFiles(dir));
    expect(buildModelArchive(dir).sha256).toBe(before);
    writeFileSync(join(dir, 'sub', 'x.txt'), 'y');
    expect(modelContentHash(modelFiles(dir))).not.toBe(before);
  });
});
