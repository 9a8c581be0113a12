import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copySources, imageContent, imageFiles } from '../../azure/image.ts';
import { UserError } from '../../model/user-error.ts';
import { REPO_ROOT } from './fixtures.ts';

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rookery-image-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const DOCKERFILE = [
  'FROM node:24 AS build',
  'COPY package.json package-lock.json ./',
  'COPY --chown=node:node app/ app/',
  'COPY ["data/a.csv", "data/"]',
  'COPY \\',
  '  conf/*.json conf/',
  'FROM node:24',
  'COPY --from=build /src/dist/x.mjs x.mjs',
].join('\n');

describe('the serving image’s content hash', () => {
  it('reads the COPY and ADD sources that come from the build context', () => {
    expect(copySources(DOCKERFILE)).toEqual(['package.json', 'package-lock.json', 'app/', 'data/a.csv', 'conf/*.json']);
  });

  it('hashes exactly the copied files, minus .dockerignore', () => {
    const dir = context({
      'Dockerfile': DOCKERFILE,
      '.dockerignore': 'node_modules\napp/test\n*.log\n',
      'package.json': '{}',
      'package-lock.json': '{}',
      'app/server.ts': 'x',
      'app/test/server.test.ts': 'y',
      'app/node_modules/dep/index.js': 'z',
      'data/a.csv': '1',
      'data/b.csv': '2',
      'conf/one.json': '{}',
      'conf/two.txt': '',
      'README.md': '',
    });
    expect(imageFiles({ contextDir: dir, dockerfile: 'Dockerfile' })).toEqual([
      'app/node_modules/dep/index.js',
      'app/server.ts',
      'conf/one.json',
      'data/a.csv',
      'package-lock.json',
      'package.json',
    ]);
  });

  it('changes when a copied file changes and not when anything else does', () => {
    const dir = context({ 'Dockerfile': 'FROM x\nCOPY app/ app/\n', 'app/a.ts': '1', 'docs/readme.md': 'a' });
    const source = { contextDir: dir, dockerfile: 'Dockerfile' };
    const before = imageContent(source).tag;
    writeFileSync(join(dir, 'docs', 'readme.md'), 'b');
    expect(imageContent(source).tag).toBe(before);
    writeFileSync(join(dir, 'app', 'a.ts'), '2');
    const after = imageContent(source).tag;
    expect(after).not.toBe(before);
    expect(after).toMatch(/^[0-9a-f]{16}$/);
  });

  it('fails clearly when the Dockerfile copies something that is not there', () => {
    const dir = context({ 'Dockerfile': 'FROM x\nCOPY missing/ app/\n' });
    expect(() => imageFiles({ contextDir: dir, dockerfile: 'Dockerfile' })).toThrow(UserError);
    expect(() => imageFiles({ contextDir: dir, dockerfile: 'nope/Dockerfile' })).toThrow(/not found/);
  });

  it('covers the project’s own image: server and model code in, tests and node_modules out', () => {
    const files = imageFiles({ contextDir: REPO_ROOT, dockerfile: 'container/Dockerfile' });
    expect(files).toContain('container/contract.ts');
    expect(files.some((f) => f.startsWith('model/'))).toBe(true);
    expect(files).toContain('package-lock.json');
    expect(files.some((f) => f.startsWith('test/') || f.includes('node_modules/'))).toBe(false);
  });
});
