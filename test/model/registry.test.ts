import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatModelRef, parseModelRef } from '../../model/reference.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { UserError } from '../../model/user-error.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { rejection } from '../helpers/rejection.ts';

const tempDir = useTempDirs('rookery-registry-');

/** A stand-in artifact: the registry copies folders and does not read them. */
function artifact(tag: string): string {
  const dir = join(tempDir(), 'artifact');
  mkdirSync(join(dir, 'nested'), { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), `flavors: {rookery: {data: model.json}}\ntag: ${tag}\n`);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ tag }));
  writeFileSync(join(dir, 'nested', 'extra.txt'), tag);
  return dir;
}

describe('parseModelRef', () => {
  it('reads the alias, version and name forms, with or without models:/', () => {
    expect(parseModelRef('models:/penguins@champion')).toEqual({ name: 'penguins', alias: 'champion' });
    expect(parseModelRef('models:/penguins/3')).toEqual({ name: 'penguins', version: 3 });
    expect(parseModelRef('penguins@champion')).toEqual({ name: 'penguins', alias: 'champion' });
    expect(parseModelRef('penguins/12')).toEqual({ name: 'penguins', version: 12 });
    expect(parseModelRef('penguins')).toEqual({ name: 'penguins' });
    expect(parseModelRef('models:/my.model-2')).toEqual({ name: 'my.model-2' });
    expect(parseModelRef('  penguins@staging-b ')).toEqual({ name: 'penguins', alias: 'staging-b' });
  });

  it('formats references back', () => {
    for (const text of ['models:/penguins@champion', 'models:/penguins/3', 'models:/penguins']) expect(formatModelRef(parseModelRef(text))).toBe(text);
  });

  it('rejects anything else with a message showing the forms', () => {
    for (const bad of ['', 'models:/', 'penguins@', 'penguins/', 'penguins/x', 'pen guins', '../penguins', 'penguins@a@b', 'runs:/abc/model', 'penguins/1/2']) {
      expect(() => parseModelRef(bad), bad).toThrow(UserError);
    }
    expect(() => parseModelRef('penguins/x')).toThrow('"penguins/x" is not a model reference; write models:/NAME@ALIAS, models:/NAME/VERSION');
  });
});

describe('LocalRegistry', () => {
  it('numbers versions 1, 2, 3 and copies each artifact with its version.json', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    const infos = [];
    for (const tag of ['one', 'two', 'three']) infos.push(await registry.register('penguins', artifact(tag), { alias: null, metrics: { accuracy_mean: 0.98 } }));
    expect(infos.map((i) => i.version)).toEqual([1, 2, 3]);
    for (const [i, tag] of ['one', 'two', 'three'].entries()) {
      const dir = join(registry.location, 'penguins', 'versions', String(i + 1));
      expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(JSON.stringify({ tag }));
      expect(readFileSync(join(dir, 'nested', 'extra.txt'), 'utf8')).toBe(tag);
      const info = JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8'));
      expect(info).toMatchObject({ name: 'penguins', version: i + 1, metrics: { accuracy_mean: 0.98 } });
      expect(Number.isNaN(Date.parse(info.createdAt))).toBe(false);
    }
  });

  it('moves the alias to each new version, and leaves it when the alias is null', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    const v1 = await registry.register('penguins', artifact('1'), { alias: 'champion' });
    expect(v1.aliases).toEqual(['champion']);
    expect((await registry.resolve({ name: 'penguins', alias: 'champion' })).info.version).toBe(1);
    const v2 = await registry.register('penguins', artifact('2'), { alias: 'champion', description: 'second', runId: 'run-2' });
    expect(v2).toMatchObject({ version: 2, aliases: ['champion'], description: 'second', runId: 'run-2' });
    expect((await registry.resolve({ name: 'penguins', alias: 'champion' })).info.version).toBe(2);
    const v3 = await registry.register('penguins', artifact('3'), { alias: null });
    expect(v3.aliases).toEqual([]);
    expect((await registry.resolve({ name: 'penguins', alias: 'champion' })).info.version).toBe(2);

    const [model] = await registry.list();
    expect(model.name).toBe('penguins');
    expect(model.aliases).toEqual({ champion: 2 });
    expect(model.versions.map((v) => [v.version, v.aliases])).toEqual([
      [1, []],
      [2, ['champion']],
      [3, []],
    ]);

    await registry.setAlias('penguins', 'champion', 3);
    await registry.setAlias('penguins', 'stable', 1);
    expect((await registry.list())[0].aliases).toEqual({ champion: 3, stable: 1 });
    expect((await registry.resolve({ name: 'penguins', version: 3 })).info.aliases).toEqual(['champion']);
  });

  it('refuses to point an alias at a version that does not exist', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    await registry.register('penguins', artifact('1'), { alias: 'champion' });
    const err = await rejection(registry.setAlias('penguins', 'champion', 7));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('model penguins has no version 7');
    expect(await rejection(registry.setAlias('other', 'champion', 1))).toBeInstanceOf(UserError);
    expect((await registry.list())[0].aliases).toEqual({ champion: 1 });
  });

  it('resolves an alias, a version and the latest version to the version folder', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    await registry.register('penguins', artifact('a'), { alias: 'champion' });
    await registry.register('penguins', artifact('b'), { alias: null });
    const byAlias = await registry.resolve(parseModelRef('models:/penguins@champion'));
    expect(byAlias.info.version).toBe(1);
    expect(byAlias.dir).toBe(join(registry.location, 'penguins', 'versions', '1'));
    expect(readFileSync(join(byAlias.dir, 'model.json'), 'utf8')).toContain('"a"');
    const byVersion = await registry.resolve(parseModelRef('models:/penguins/2'));
    expect(byVersion.info).toMatchObject({ name: 'penguins', version: 2, aliases: [] });
    expect((await registry.resolve(parseModelRef('penguins'))).info.version).toBe(2);
  });

  it('says clearly what it cannot resolve', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    await registry.register('penguins', artifact('a'), { alias: 'champion' });
    const noAlias = await rejection(registry.resolve({ name: 'penguins', alias: 'nope' }));
    expect(noAlias).toBeInstanceOf(UserError);
    expect(noAlias.message).toBe(`no penguins@nope in the local registry ${registry.location}; run \`npm start\` or \`rookery train\` to train and register one`);
    expect((await rejection(registry.resolve({ name: 'penguins', version: 9 }))).message).toContain(`penguins version 9 is not in the local registry ${registry.location}`);
    expect((await rejection(registry.resolve({ name: 'gulls' }))).message).toContain('no versions of model gulls');
  });

  it('lists nothing for a folder that does not exist yet, and creates nothing while reading', async () => {
    const location = join(tempDir(), 'absent');
    const registry = new LocalRegistry(location);
    expect(await registry.list()).toEqual([]);
    await rejection(registry.resolve({ name: 'penguins', alias: 'champion' }));
    expect(existsSync(location)).toBe(false);
  });

  it('lists several models in name order', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    await registry.register('zebra', artifact('z'), { alias: null });
    await registry.register('penguins', artifact('p'), { alias: 'champion' });
    expect((await registry.list()).map((m) => [m.name, m.versions.length])).toEqual([
      ['penguins', 1],
      ['zebra', 1],
    ]);
  });

  it('rejects a model name that is not a reference name', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    expect(await rejection(registry.register('../escape', artifact('x'), { alias: null }))).toBeInstanceOf(UserError);
  });

  it('ignores a staging folder left by a crash: not listed, and numbering continues', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    await registry.register('penguins', artifact('1'), { alias: 'champion' });
    // A register that died while copying: a partial staging folder next to versions/.
    const crashed = join(registry.location, 'penguins', '.staging-2f0c1f4e-dead-beef-0000-000000000000');
    mkdirSync(crashed);
    writeFileSync(join(crashed, 'model.json'), '{"format": "rookery-log');
    // And one at the top of the registry, as another tool might leave, and a stray file among the versions.
    mkdirSync(join(registry.location, '.staging-x', 'versions', '1'), { recursive: true });
    writeFileSync(join(registry.location, 'penguins', 'versions', '.DS_Store'), '');

    const listed = await registry.list();
    expect(listed.map((m) => m.name)).toEqual(['penguins']);
    expect(listed[0].versions.map((v) => v.version)).toEqual([1]);
    expect((await registry.resolve({ name: 'penguins' })).info.version).toBe(1);

    expect((await registry.register('penguins', artifact('2'), { alias: 'champion' })).version).toBe(2);
    expect((await registry.list())[0].versions.map((v) => v.version)).toEqual([1, 2]);
    expect(readFileSync(join(registry.location, 'penguins', 'versions', '2', 'model.json'), 'utf8')).toBe(JSON.stringify({ tag: '2' }));
    // A successful register leaves no staging folder of its own behind.
    expect(readdirSync(join(registry.location, 'penguins')).filter((n) => n.startsWith('.staging-'))).toEqual([basename(crashed)]);
  });

  it('gives concurrent registrations distinct versions', async () => {
    const registry = new LocalRegistry(join(tempDir(), 'registry'));
    const tags = ['a', 'b', 'c', 'd', 'e'];
    const dirs = tags.map(artifact);
    const infos = await Promise.all(dirs.map((dir) => registry.register('penguins', dir, { alias: 'champion' })));
    expect(infos.map((i) => i.version).sort()).toEqual([1, 2, 3, 4, 5]);
    const listed = (await registry.list())[0];
    expect(listed.versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5]);
    // Each version holds the artifact it was registered with.
    const stored = listed.versions.map((v) => JSON.parse(readFileSync(join(registry.location, 'penguins', 'versions', String(v.version), 'model.json'), 'utf8')).tag);
    expect(stored.sort()).toEqual(tags);
    expect(Object.values(listed.aliases)).toHaveLength(1);
  });

  it('gives registrations from several processes at once distinct versions', async () => {
    const location = join(tempDir(), 'registry');
    const source = artifact('shared');
    const registryModule = pathToFileURL(fileURLToPath(new URL('../../model/registry.ts', import.meta.url))).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = `const { LocalRegistry } = await import(${JSON.stringify(registryModule)});
      const r = new LocalRegistry(${JSON.stringify(location)});
      const out = [];
      for (let i = 0; i < 5; i++) out.push((await r.register('penguins', ${JSON.stringify(source)}, { alias: null })).version);
      console.log(JSON.stringify(out));`;
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`writer exited with ${code}`))));
      });
    const results = await Promise.all([run(), run(), run()]);
    const versions = results.flat().sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const registry = new LocalRegistry(location);
    const listed = (await registry.list())[0].versions;
    expect(listed.map((v) => v.version)).toEqual(versions);
    // version.json agrees with the folder it ended up in, even after a lost race.
    for (const v of listed) expect(JSON.parse(readFileSync(join(location, 'penguins', 'versions', String(v.version), 'version.json'), 'utf8')).version).toBe(v.version);
    expect(readdirSync(join(location, 'penguins')).filter((n) => n.startsWith('.staging-'))).toEqual([]);
  });
});
