// No import cycles between source files. Type-only imports count: they still
// tie the two modules together.
import { describe, expect, it } from 'vitest';
import { buildGraph, findCycles, formatCycle, resolveFile } from './cycles.ts';
import { readSourceFiles } from './source-files.ts';

const file = (path: string, ...imports: string[]) => ({ path, text: imports.map((i) => `${i}\n`).join('') });

describe('the cycle finder', () => {
  it('resolves .ts, .js spellings and folder indexes to known files', () => {
    const known = new Set(['model/a.ts', 'model/stats/index.ts']);
    expect(resolveFile('model/b.ts', './a.ts', known)).toBe('model/a.ts');
    expect(resolveFile('model/b.ts', './a.js', known)).toBe('model/a.ts');
    expect(resolveFile('model/b.ts', './stats', known)).toBe('model/stats/index.ts');
    expect(resolveFile('model/b.ts', 'yaml', known)).toBeUndefined();
  });

  it('reports each cycle once, from its first file, with type-only edges marked', () => {
    const graph = buildGraph([
      file('model/a.ts', "import { b } from './b.ts';"),
      file('model/b.ts', "import type { C } from './c.ts';"),
      file('model/c.ts', "export { a } from './a.ts';"),
      file('model/d.ts', "const self = await import('./d.ts');", "import { a } from './a.ts';"),
      file('model/e.ts', "import { a } from './a.ts';"),
    ]);
    expect(findCycles(graph).map((c) => formatCycle(graph, c))).toEqual([
      'model/a.ts -> model/b.ts -> model/c.ts -> model/a.ts  (through `import type`)',
      'model/d.ts -> model/d.ts  (through `import()`)',
    ]);
  });

  it('finds the shorter cycles inside a larger tangle', () => {
    const graph = buildGraph([
      file('x/a.ts', "import './b.ts';", "import './c.ts';"),
      file('x/b.ts', "import './a.ts';"),
      file('x/c.ts', "import './b.ts';"),
    ]);
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([
      'x/a.ts -> x/b.ts -> x/a.ts',
      'x/a.ts -> x/c.ts -> x/b.ts -> x/a.ts',
    ]);
  });

  it('does not follow worker references (new URL) or npm packages', () => {
    const graph = buildGraph([
      file('container/sqlite.ts', "const w = new URL('./worker.ts', import.meta.url);"),
      file('container/worker.ts', "import { x } from './sqlite.ts';", "import Database from 'better-sqlite3';"),
    ]);
    expect(findCycles(graph)).toEqual([]);
  });
});

describe('the source tree', () => {
  it('has no import cycles (type-only imports included)', () => {
    const files = readSourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const graph = buildGraph(files);
    expect(findCycles(graph).map((c) => formatCycle(graph, c))).toEqual([]);
  });
});
