// Enforces the layout's import rules (test/architecture/layout.ts holds the
// table) on every source file, one test per folder.
import { describe, expect, it } from 'vitest';
import { extractImports } from './imports.ts';
import { brokenRule, classify, formatImportViolation, importViolations, LAYOUT } from './layout.ts';
import { FOLDERS, readSourceFiles } from './source-files.ts';

describe('the import extractor', () => {
  it('reads every kind of import and code path, type-only ones marked, and nothing from other strings or comments', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from '../model/b.ts';",
      "import { type C, type D } from './c.ts';",
      "import E, { type F } from './e.ts';",
      "import * as ns from 'node:fs';",
      "import './side-effect.ts';",
      'import {',
      '  g,',
      '  h,',
      "} from 'aws-cdk-lib/aws-s3';",
      "export * from './star.ts';",
      "export * as all from './all.ts';",
      "export { x } from './x.ts';",
      "export type { Y } from './y.ts';",
      'export const z = 1;',
      "const lazy = await import('./lazy.ts');",
      "type Sfn = typeof import('@aws-sdk/client-sfn');",
      "const worker = new URL('./worker.ts', import.meta.url);",
      "const data = new URL('../data/penguins.csv', import.meta.url);",
      "const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');",
      "const sqlite = require('better-sqlite3');",
      "// import { no } from './comment.ts';",
      "const s = \"import { no } from './string.ts'\";",
      'const t = `import(\'./template.ts\') ${`nested ${"}"}`}`;',
      "const u = `${a}/import('./divided.ts')/${b}`;",
      "const r = /import('.\\/regex.ts')/;",
      "const meta = import.meta.url;",
      "obj.import('./method-call.ts');",
      "const azure = await importTarget('azure', '../azure/target.ts', 'azureTarget');",
    ].join('\n');
    expect(extractImports(source).map((r) => `${r.line} ${r.kind}${r.typeOnly ? ' type' : ''} ${r.specifier}`)).toEqual([
      '1 import ./a.ts',
      '2 import type ../model/b.ts',
      '3 import type ./c.ts',
      '4 import ./e.ts',
      '5 import node:fs',
      '6 import ./side-effect.ts',
      '10 import aws-cdk-lib/aws-s3',
      '11 export-from ./star.ts',
      '12 export-from ./all.ts',
      '13 export-from ./x.ts',
      '14 export-from type ./y.ts',
      '16 dynamic ./lazy.ts',
      '17 dynamic type @aws-sdk/client-sfn',
      '18 url ./worker.ts',
      '20 require tsx/cjs/api',
      '21 require better-sqlite3',
      '28 path ./method-call.ts',
      '29 path ../azure/target.ts',
    ]);
  });

  it('classifies specifiers into built-ins, packages and repository folders', () => {
    expect(classify('scripts/a/b.ts', 'node:fs')).toEqual({ type: 'builtin', module: 'fs' });
    expect(classify('scripts/a/b.ts', 'fs/promises')).toEqual({ type: 'builtin', module: 'fs/promises' });
    expect(classify('scripts/a/b.ts', '@aws-sdk/client-s3')).toEqual({ type: 'package', pkg: '@aws-sdk/client-s3' });
    expect(classify('stacks/a.ts', 'aws-cdk-lib/aws-s3')).toEqual({ type: 'package', pkg: 'aws-cdk-lib' });
    expect(classify('scripts/a/b.ts', '../../stacks/x.ts')).toEqual({ type: 'file', path: 'stacks/x.ts', folder: 'stacks' });
    expect(classify('scripts/a.ts', '../vitest.config.ts')).toEqual({ type: 'file', path: 'vitest.config.ts', folder: undefined });
    expect(classify('scripts/a.ts', '../../elsewhere.ts')).toEqual({ type: 'outside', path: '../elsewhere.ts' });
  });
});

describe('the layout checker', () => {
  const ref = (specifier: string) => ({ specifier, line: 1, kind: 'import' as const, typeOnly: false });

  it('reports the imports the issue forbids, quoting it', () => {
    expect(brokenRule('scripts/commands/x.ts', ref('../../stacks/app.ts'))).toMatch(/stacks\/ is not allowed.*No import from stacks\/ or azure\/ into scripts\//);
    expect(brokenRule('scripts/x.ts', ref('../azure/stack.ts'))).toMatch(/azure\/ is not allowed/);
    expect(brokenRule('azure/x.ts', ref('../scripts/config.ts'))).toMatch(/no import from scripts\/ into azure\//);
    expect(brokenRule('stacks/x.ts', ref('../scripts/config.ts'))).toMatch(/stacks\/ must not import scripts\//);
    expect(brokenRule('model/x.ts', ref('../registry/open.ts'))).toMatch(/model\/ may import only model\//);
    expect(brokenRule('container/x.ts', ref('../test/helpers/cli.ts'))).toMatch(/test\/ is not allowed/);
    const path = { specifier: '../../stacks/app.ts', line: 3, kind: 'path' as const, typeOnly: false };
    expect(brokenRule('scripts/targets/open.ts', path)).toMatch(/stacks\/ is not allowed/);
  });

  it('reports npm packages outside a folder\'s allowance, and network built-ins in model/', () => {
    expect(brokenRule('model/x.ts', ref('@aws-sdk/client-s3'))).toMatch(/npm package @aws-sdk\/client-s3 is not allowed: model\/ may use only yaml, @stdlib\/\*/);
    expect(brokenRule('scripts/x.ts', ref('aws-cdk-lib'))).toMatch(/aws-cdk-lib is not allowed/);
    expect(brokenRule('stacks/x.ts', ref('cdktf'))).toMatch(/cdktf is not allowed/);
    expect(brokenRule('cloud/x.ts', ref('yaml'))).toMatch(/cloud\/ may use only no npm packages/);
    expect(brokenRule('model/x.ts', ref('node:http'))).toMatch(/node:http is not allowed: .*no HTTP/);
    expect(brokenRule('model/x.ts', ref('https'))).toMatch(/node:https is not allowed/);
    expect(brokenRule('azure/x.ts', ref('@cdktf/provider-azurerm'))).toMatch(/deep imports only/);
  });

  it('allows what the table allows', () => {
    const allowed: Array<[string, string]> = [
      ['model/stats/ks.ts', '../user-error.ts'], ['model/x.ts', 'yaml'], ['model/x.ts', '@stdlib/math-base-special-gammainc'], ['model/x.ts', 'node:fs'],
      ['registry/x.ts', '../model/registry.ts'], ['cloud/x.ts', '../model/defaults.ts'],
      ['container/capture/sqlite.ts', 'better-sqlite3'], ['container/capture/sqlite.ts', 'tsx/cjs/api'],
      ['stacks/x.ts', '../registry/resolve.ts'], ['stacks/x.ts', 'aws-cdk-lib/aws-s3'], ['stacks/x.ts', '@cdklabs/cdk-validator-cfnguard'],
      ['azure/x.ts', '../cloud/azure-names.ts'], ['azure/x.ts', '@cdktf/provider-azurerm/lib/resource-group/index.js'], ['azure/x.ts', 'constructs'],
      ['scripts/x.ts', '../container/server.ts'], ['scripts/x.ts', '../cloud/azure-ml.ts'], ['scripts/x.ts', '@azure/identity'], ['scripts/x.ts', 'esbuild'],
    ];
    expect(allowed.filter(([file, spec]) => brokenRule(file, ref(spec)))).toEqual([]);
  });

  it('finds the violation in an in-memory tree and names file, line, import and rule', () => {
    const files = [
      { path: 'scripts/deploy.ts', text: "import { ok } from '../model/a.ts';\nimport type { Stack } from '../stacks/app.ts';\n" },
      { path: 'model/a.ts', text: "export const ok = 1;\nconst sdk = await import('@aws-sdk/client-s3');\n" },
    ];
    expect(importViolations(files).map(formatImportViolation)).toEqual([
      "scripts/deploy.ts:2 import type '../stacks/app.ts': stacks/ is not allowed: scripts/ may import only model/, registry/, cloud/, container/, scripts/ (the issue: \"No import from stacks/ or azure/ into scripts/, no import from scripts/ into azure/\")",
      "model/a.ts:2 dynamic '@aws-sdk/client-s3': npm package @aws-sdk/client-s3 is not allowed: model/ may use only yaml, @stdlib/* (and node: built-ins)",
    ]);
  });
});

describe('the source tree obeys the layout', () => {
  const files = readSourceFiles();

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => f.path.startsWith('model/')).length).toBeGreaterThan(0);
  });

  for (const folder of FOLDERS) {
    const rule = LAYOUT[folder];
    it(`${folder}/ imports only ${rule.folders.map((f) => `${f}/`).join(', ')}${rule.packages.length ? ` and ${rule.packages.join(', ')}` : ''}`, () => {
      const inFolder = files.filter((f) => f.path.startsWith(`${folder}/`));
      expect(importViolations(inFolder).map(formatImportViolation)).toEqual([]);
    });
  }
});
