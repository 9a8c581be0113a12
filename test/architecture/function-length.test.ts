// No function outside tests and generated code is longer than 80 lines,
// counted from the line it starts on to the line of its closing brace.
import { describe, expect, it } from 'vitest';
import { findFunctions, lineCount } from './functions.ts';
import { readSourceFiles, isGenerated } from './source-files.ts';
import { tokenize } from './tokens.ts';

const MAX_FUNCTION_LINES = 80;

const extents = (source: string) => findFunctions(source).map((f) => `${f.name} ${f.line}-${f.endLine}`);

/** A function with `bodyLines` lines between its opening and closing lines. */
const longFunction = (bodyLines: number) => ['function long() {', ...Array.from({ length: bodyLines }, (_, i) => `  step(${i});`), '}'].join('\n');

function tooLong(files: Array<{ path: string; text: string }>): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const f of findFunctions(file.text)) {
      if (lineCount(f) > MAX_FUNCTION_LINES) out.push(`${file.path}:${f.line} ${f.name} is ${lineCount(f)} lines (max ${MAX_FUNCTION_LINES})`);
    }
  }
  return out;
}

describe('the tokenizer', () => {
  it('keeps strings, templates, regexes and comments from producing brackets', () => {
    const source = [
      "const a = '{ ( [';",
      'const b = "} ) ]";',
      'const c = `{ ${x ? `}${"{"}` : \'}\'} }`;',
      'const d = /[/{}]\\/}/g.test(s) ? x / 2 / y : 0;',
      '// { unclosed',
      '/* } ) { */',
      'const e = (x) / 2 + `${{ k: 1 }.k}`;',
    ].join('\n');
    const brackets = tokenize(source).filter((t) => t.kind === 'punct' && '{}()[]'.includes(t.value)).map((t) => t.value).join('');
    expect(brackets).toBe('()(){}');
    expect(tokenize(source).filter((t) => t.kind === 'regex').map((t) => t.value)).toEqual(['/[/{}]\\/}/g']);
  });

  it('counts lines inside multi-line strings, templates and comments', () => {
    const tokens = tokenize('/*\n\n*/ const a = `x\n${1}\ny`;\nconst b = 1;');
    expect(tokens.find((t) => t.value === 'b')?.line).toBe(6);
  });
});

describe('the function finder', () => {
  it('finds declarations, expressions, methods, accessors, constructors and arrows', () => {
    const source = [
      'export async function load<T>(file: string): Promise<T> {', // 1
      '  return JSON.parse(file);',
      '}',
      'class Store<K> extends Base {',
      '  constructor(private readonly root: string) {', // 5
      '    super();',
      '  }',
      '  get size(): number { return 0; }',
      '  async *entries<V>(): AsyncGenerator<[K, V]> {',
      '    yield* [];', // 10
      '  }',
      '  [Symbol.iterator]() {',
      '    return [][Symbol.iterator]();',
      '  }',
      '  handler = async (req: Request): Promise<void> => {', // 15
      '    if (req) { for (const x of []) { while (x) {} } }',
      '  };',
      '  declare overload(a: string): void;',
      '}',
      'const obj = { run() { return 1; }, delete(key: string) { return key; } };', // 20
      'const shape = (o: { a: number }): { b: string } => ({', // 21
      '  b: String(o.a),',
      '});',
      'items.map((x) => x * 2).filter(y => y > 1);',
      'const f = function () {', // 25
      '};',
      'type Fn = (a: number) => void;',
      'interface I { method(a: string): { x: number }; other(): void }',
    ].join('\n');
    expect(extents(source)).toEqual([
      'load 1-3',
      'constructor 5-7',
      'size 8-8',
      'entries 9-11',
      '[computed] 12-14',
      'handler (arrow function) 15-17',
      'run 20-20',
      'delete 20-20',
      'shape (arrow function) 21-23',
      '(arrow function) 24-24',
      '(arrow function) 24-24',
      '(anonymous function) 25-26',
      'Fn (arrow function) 27-27', // a function type: harmless, it is one line
    ]);
  });

  it('is not confused by braces in strings, templates, regexes and comments inside a body', () => {
    const source = [
      'function tricky() {',
      "  const a = '}';",
      '  const b = `}${"}"}${`${"{"}`}`;',
      '  const c = /}/;',
      '  const d = a.length / 2 / 1;',
      '  // }',
      '  /* } */',
      '  return `${a}${b}${c}${d}`;',
      '}',
      'function after() {',
      '}',
    ].join('\n');
    expect(extents(source)).toEqual(['tricky 1-9', 'after 10-11']);
  });

  it('tells object-type return annotations from bodies, and regexes after a block from division', () => {
    const source = [
      'class A {',
      '  shape(): { a: number } {', // 2
      '    return { a: 1 };',
      '  }',
      '  pick<T extends { k: string }>(t: T): T[\'k\'] | { none: true } {', // 5
      '    if (t) {',
      '    }',
      "    /}/.test('x') && `${'`'}`;",
      '    return t.k;',
      '  }', // 10
      '}',
      'const make = (): { run(): void } => ({ run() {} });', // 12
      'const half = (n: number) => n / 2 / (n || 1);',
      'const url = () => `http://x/${"}"}/*not a comment*/`;',
    ].join('\n');
    expect(extents(source)).toEqual([
      'shape 2-4',
      'pick 5-10',
      'make (arrow function) 12-12',
      'run 12-12',
      'half (arrow function) 13-13',
      'url (arrow function) 14-14',
    ]);
  });

  it('finds functions inside template substitutions', () => {
    const source = ['const html = `<ul>${items.map((item) => {', '  return `<li>${item}</li>`;', '})}</ul>`;'].join('\n');
    expect(extents(source)).toEqual(['(arrow function) 1-3']);
  });

  it('does not take control statements or calls for methods', () => {
    const source = ['if (a) {', '}', 'for await (const x of y) {', '}', 'switch (z) {', '}', 'try {', '} catch (e) {', '}', 'call(x);', '{', '}'].join('\n');
    expect(extents(source)).toEqual([]);
  });

  it('reports a function over the limit with file, line and length, and passes one at the limit', () => {
    const files = [
      { path: 'scripts/long.ts', text: `// header\n${longFunction(MAX_FUNCTION_LINES - 1)}` },
      { path: 'scripts/ok.ts', text: longFunction(MAX_FUNCTION_LINES - 2) },
    ];
    expect(tooLong(files)).toEqual([`scripts/long.ts:2 long is ${MAX_FUNCTION_LINES + 1} lines (max ${MAX_FUNCTION_LINES})`]);
  });

  it('leaves generated code alone', () => {
    expect(isGenerated(`// @generated by cdktf get\n${longFunction(100)}`)).toBe(true);
    expect(isGenerated(longFunction(100))).toBe(false);
  });
});

describe('the source tree', () => {
  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const files = readSourceFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(tooLong(files)).toEqual([]);
  });

  it('is read completely: every file\'s brackets balance (so no function can be missed)', () => {
    const unbalanced = readSourceFiles().filter((file) => {
      let depth = 0;
      for (const t of tokenize(file.text)) {
        if (t.kind === 'punct' && '({['.includes(t.value)) depth++;
        if (t.kind === 'punct' && ')}]'.includes(t.value)) depth--;
        if (depth < 0) return true;
      }
      return depth !== 0;
    });
    expect(unbalanced.map((f) => f.path)).toEqual([]);
  });
});
