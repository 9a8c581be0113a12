// What a source file imports: static imports (type-only ones too), `export
// ... from`, `import('...')` with a literal (also `typeof import('...')` in
// types), `require`/`createRequire(...).resolve` of a literal, and
// `new URL('./x.ts', import.meta.url)` references to code (worker files,
// modules loaded by URL), and any other string literal that is a relative
// path to a .ts file (a module loaded through a helper, a build entry): those
// are resolved against the file too, so they cross folders the same way.
import { tokenize, matchBrackets, is, type Token } from './tokens.ts';

export type ImportKind = 'import' | 'export-from' | 'dynamic' | 'require' | 'url' | 'path';

export interface ImportRef {
  specifier: string;
  line: number;
  kind: ImportKind;
  /** `import type`, `export type`, all-`type` specifiers, or `typeof import()`. */
  typeOnly: boolean;
}

/** True when every specifier between `{` and `}` is marked `type`. */
function allSpecifiersTyped(tokens: Token[], open: number, close: number): boolean {
  let groups = 0;
  let typed = 0;
  let atStart = true;
  for (let i = open + 1; i < close; i++) {
    if (is(tokens[i], 'punct', ',')) { atStart = true; continue; }
    if (atStart) { groups++; if (is(tokens[i], 'ident', 'type') && !is(tokens[i + 1], 'punct', ',') && i + 1 < close) typed++; }
    atStart = false;
  }
  return groups > 0 && groups === typed;
}

/** `import ... from 'x'`, starting at the `import` token. */
function staticImport(tokens: Token[], match: number[], i: number): ImportRef | undefined {
  const next = tokens[i + 1];
  let typeOnly = is(next, 'ident', 'type') && !is(tokens[i + 2], 'ident', 'from') && !is(tokens[i + 2], 'punct', ',') && !is(tokens[i + 2], 'punct', '=');
  for (let j = i + 1; j < tokens.length && j < i + 400; j++) {
    const t = tokens[j];
    // A statement without `from` ends here (`import x = require(...)` is read as a require call).
    if (is(t, 'punct', ';') || is(t, 'punct', '=') || is(t, 'ident', 'import') || is(t, 'ident', 'export')) return undefined;
    if (is(t, 'punct', '{')) {
      if (match[j] < 0) return undefined;
      // `import { type A, type B }` with no default import is type-only.
      if (j === i + 1 && allSpecifiersTyped(tokens, j, match[j])) typeOnly = true;
      j = match[j];
      continue;
    }
    if (is(t, 'ident', 'from') && tokens[j + 1]?.kind === 'string') {
      return { specifier: tokens[j + 1].value, line: tokens[j + 1].line, kind: 'import', typeOnly };
    }
  }
  return undefined;
}

/** `export * from`, `export * as ns from`, `export { a } from`, `export type { A } from`. */
function exportFrom(tokens: Token[], match: number[], i: number): ImportRef | undefined {
  let j = i + 1;
  let typeOnly = false;
  if (is(tokens[j], 'ident', 'type') && (is(tokens[j + 1], 'punct', '{') || is(tokens[j + 1], 'punct', '*'))) { typeOnly = true; j++; }
  if (is(tokens[j], 'punct', '*')) {
    j++;
    if (is(tokens[j], 'ident', 'as')) j += 2;
  } else if (is(tokens[j], 'punct', '{') && match[j] > 0) {
    typeOnly ||= allSpecifiersTyped(tokens, j, match[j]);
    j = match[j] + 1;
  } else {
    return undefined;
  }
  if (!is(tokens[j], 'ident', 'from') || tokens[j + 1]?.kind !== 'string') return undefined;
  return { specifier: tokens[j + 1].value, line: tokens[j + 1].line, kind: 'export-from', typeOnly };
}

/** A string literal as the only or first argument of the call opening at `open`. */
function literalArgument(tokens: Token[], open: number): Token | undefined {
  const arg = tokens[open + 1];
  const after = tokens[open + 2];
  if (!is(tokens[open], 'punct', '(') || arg?.kind !== 'string') return undefined;
  return is(after, 'punct', ')') || is(after, 'punct', ',') ? arg : undefined;
}

/** `require('x')`, `require.resolve('x')`, `createRequire(u)('x')`, `createRequire(u).resolve('x')`. */
function requireCall(tokens: Token[], match: number[], i: number): ImportRef | undefined {
  let j = i + 1;
  if (tokens[i].value === 'createRequire') {
    if (!is(tokens[j], 'punct', '(') || match[j] < 0) return undefined;
    j = match[j] + 1;
  }
  if (is(tokens[j], 'punct', '.') && is(tokens[j + 1], 'ident', 'resolve')) j += 2;
  const arg = literalArgument(tokens, j);
  return arg && { specifier: arg.value, line: arg.line, kind: 'require', typeOnly: false };
}

const CODE_PATH = /^\.\.?\/[^\s'"`]*\.[mc]?ts$/;

/** `new URL('./x.ts', import.meta.url)`: a reference to a code file (a worker, a module loaded by URL). */
function urlReference(tokens: Token[], i: number): ImportRef | undefined {
  const expected = ['URL', '(', undefined, ',', 'import', '.', 'meta', '.', 'url', ')'];
  for (let k = 0; k < expected.length; k++) {
    const t = tokens[i + 1 + k];
    if (!t || (expected[k] === undefined ? t.kind !== 'string' : t.value !== expected[k])) return undefined;
  }
  const spec = tokens[i + 3];
  if (!CODE_PATH.test(spec.value)) return undefined;
  return { specifier: spec.value, line: spec.line, kind: 'url', typeOnly: false };
}

export function extractImports(source: string): ImportRef[] {
  const tokens = tokenize(source);
  const match = matchBrackets(tokens);
  const refs: ImportRef[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== 'ident') return;
    const prev = tokens[i - 1];
    if (is(prev, 'punct', '.') || is(prev, 'punct', '?.')) return; // a property, not the keyword
    let ref: ImportRef | undefined;
    if (t.value === 'import') {
      const dynamic = literalArgument(tokens, i + 1);
      if (dynamic) ref = { specifier: dynamic.value, line: dynamic.line, kind: 'dynamic', typeOnly: is(prev, 'ident', 'typeof') };
      else if (tokens[i + 1]?.kind === 'string') ref = { specifier: tokens[i + 1].value, line: t.line, kind: 'import', typeOnly: false };
      else if (!is(tokens[i + 1], 'punct', '(') && !is(tokens[i + 1], 'punct', '.')) ref = staticImport(tokens, match, i);
    } else if (t.value === 'export') {
      ref = exportFrom(tokens, match, i);
    } else if (t.value === 'require' || t.value === 'createRequire') {
      ref = requireCall(tokens, match, i);
    } else if (t.value === 'new') {
      ref = urlReference(tokens, i);
    }
    if (ref) refs.push(ref);
  });
  const seen = new Set(refs.map((r) => `${r.line}:${r.specifier}`));
  for (const t of tokens) {
    if (t.kind === 'string' && CODE_PATH.test(t.value) && !seen.has(`${t.line}:${t.value}`)) {
      refs.push({ specifier: t.value, line: t.line, kind: 'path', typeOnly: false });
    }
  }
  return refs.sort((a, b) => a.line - b.line);
}
