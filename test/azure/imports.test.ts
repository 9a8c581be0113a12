/**
 * The import rules around the Azure app: azure/ (the cdktf app) and
 * scripts/ (the CLI, whose `rookery deploy azure` finds what the app made)
 * share only cloud/, which depends on nothing but model/ and Node.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './fixtures.ts';

function sources(folder: string): string[] {
  const dir = join(REPO_ROOT, folder);
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(join(folder, entry));
    return entry.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports (static and dynamic): package names as written, relative ones as repository paths. */
function importsOf(file: string): { spec: string; target?: string }[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)].map((m) => m[1]);
  return specs.map((spec) => (spec.startsWith('.') ? { spec, target: relative(REPO_ROOT, resolve(dirname(file), spec)) } : { spec }));
}

const topFolder = (path: string) => path.split(/[\\/]/)[0];

describe('azure/ imports', () => {
  it('uses deep @cdktf/provider-azurerm/lib/<resource> imports only, and of this repository only azure/, cloud/, model/ and registry/', () => {
    const files = sources('azure');
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const { spec, target } of importsOf(file)) {
        const where = relative(REPO_ROOT, file);
        if (spec.startsWith('@cdktf/provider-azurerm')) expect(spec, where).toMatch(/^@cdktf\/provider-azurerm\/lib\/[a-z0-9-]+\/index\.js$/);
        if (target) expect(['azure', 'cloud', 'model', 'registry'], `${where} imports ${spec}`).toContain(topFolder(target));
      }
    }
  });
});

describe('cloud/ imports', () => {
  it('imports only model/ and Node built-ins', () => {
    for (const file of sources('cloud')) {
      for (const { spec, target } of importsOf(file)) {
        const where = relative(REPO_ROOT, file);
        if (target) expect(['cloud', 'model'], `${where} imports ${spec}`).toContain(topFolder(target));
        else expect(spec, where).toMatch(/^node:/);
      }
    }
  });
});

describe('scripts/ imports', () => {
  it('never imports the cdktf app (azure/): what the CLI shares with it is in cloud/', () => {
    for (const file of sources('scripts')) {
      for (const { spec, target } of importsOf(file)) {
        if (target) expect(topFolder(target), `${relative(REPO_ROOT, file)} imports ${spec}`).not.toBe('azure');
      }
    }
  });
});
