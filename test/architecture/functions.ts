// Where each function starts and ends: `function` declarations and
// expressions, methods (also getters, setters, constructors, computed and
// generic names), and arrow functions with block or expression bodies.
import { tokenize, matchBrackets, is, isCloser, type Token } from './tokens.ts';

export interface FunctionExtent {
  name: string;
  /** The line the function starts on (its `function`, name or parameter list). */
  line: number;
  /** The line of its closing brace (or of the end of an arrow's expression body). */
  endLine: number;
}

export function lineCount(f: FunctionExtent): number {
  return f.endLine - f.line + 1;
}

/** `(` after these words opens a statement's condition, not a method's parameters. */
const CONTROL = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'function']);
/** Words after which a new line starts a new statement, ending an arrow's expression body. */
const STATEMENT_START = new Set(['const', 'let', 'var', 'function', 'class', 'export', 'import', 'return', 'if', 'for', 'while', 'interface', 'type', 'enum', 'throw']);

/** A token that can end a type, so a `{` right after it opens a body rather than an object type. */
function endsType(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'ident') return !['keyof', 'typeof', 'is', 'extends', 'infer', 'readonly', 'unique', 'asserts', 'new'].includes(t.value);
  if (t.kind === 'punct') return [')', ']', '>', '}'].includes(t.value);
  return t.kind !== 'template' || t.part === 'tail';
}

class FunctionFinder {
  private readonly tokens: Token[];
  private readonly match: number[];
  /** Keyed by the index of the body's first token, so a function found twice counts once. */
  private readonly found = new Map<number, FunctionExtent>();

  constructor(source: string) {
    this.tokens = tokenize(source);
    this.match = matchBrackets(this.tokens);
  }

  run(): FunctionExtent[] {
    this.tokens.forEach((t, i) => {
      if (is(t, 'ident', 'function') && !is(this.tokens[i - 1], 'punct', '.')) this.functionKeyword(i);
      else if (is(t, 'punct', '(')) { this.method(i); this.parenArrow(i); }
      else if (t.kind === 'ident' && is(this.tokens[i + 1], 'punct', '=>')) this.arrow(i, i + 1);
    });
    return [...this.found.values()].sort((a, b) => a.line - b.line);
  }

  private add(body: number, extent: FunctionExtent): void {
    const seen = this.found.get(body);
    if (!seen || extent.line < seen.line) this.found.set(body, extent);
  }

  /** `function name<T>(...): R { ... }` (and `function*`, anonymous). */
  private functionKeyword(i: number): void {
    let j = i + 1;
    if (is(this.tokens[j], 'punct', '*')) j++;
    const name = this.tokens[j]?.kind === 'ident' ? this.tokens[j++].value : '(anonymous function)';
    if (is(this.tokens[j], 'punct', '<')) j = this.skipAngles(j);
    if (j < 0 || !is(this.tokens[j], 'punct', '(') || this.match[j] < 0) return;
    const body = this.blockBody(this.match[j] + 1);
    if (body !== undefined) this.add(body, { name, line: this.tokens[i].line, endLine: this.tokens[this.match[body]].line });
  }

  /** `name(...) { ... }` in a class or object literal, `[key](...)`, `name<T>(...)`. */
  private method(open: number): void {
    let k = open - 1;
    if (is(this.tokens[k], 'punct', '>')) k = this.angleStart(k) - 1;
    const nameToken = this.tokens[k];
    if (!nameToken || this.match[open] < 0) return;
    let start = k;
    if (is(nameToken, 'punct', ']') && this.match[k] >= 0) start = this.match[k];
    else if (nameToken.kind === 'ident') {
      if (CONTROL.has(nameToken.value) || (nameToken.value === 'await' && is(this.tokens[k - 1], 'ident', 'for'))) return;
    } else if (nameToken.kind !== 'string') return;
    const body = this.blockBody(this.match[open] + 1);
    if (body === undefined) return;
    const name = nameToken.kind === 'punct' ? '[computed]' : nameToken.value;
    this.add(body, { name, line: this.tokens[start].line, endLine: this.tokens[this.match[body]].line });
  }

  /** `(...) => ...` and `(...): R => ...`. */
  private parenArrow(open: number): void {
    const close = this.match[open];
    if (close < 0) return;
    let j = close + 1;
    if (is(this.tokens[j], 'punct', ':')) j = this.skipType(j + 1, '=>');
    if (j >= 0 && is(this.tokens[j], 'punct', '=>')) this.arrow(open, j);
  }

  /** `const name = (...) =>`, `name = ... =>` (a class field), `name: ... =>` (a property). */
  private arrowName(start: number): string {
    let k = start - 1;
    if (is(this.tokens[k], 'ident', 'async')) k--;
    const sign = this.tokens[k];
    const name = this.tokens[k - 1];
    const named = (is(sign, 'punct', '=') || is(sign, 'punct', ':')) && name?.kind === 'ident';
    return named ? `${name.value} (arrow function)` : '(arrow function)';
  }

  private arrow(start: number, arrowToken: number): void {
    const first = arrowToken + 1;
    const t = this.tokens[first];
    if (!t) return;
    const endLine = is(t, 'punct', '{') && this.match[first] >= 0 ? this.tokens[this.match[first]].line : this.expressionEndLine(first);
    this.add(first, { name: this.arrowName(start), line: this.tokens[start].line, endLine });
  }

  /** The last line of an expression body: up to a `,` or `;` or an unmatched closing bracket. */
  private expressionEndLine(first: number): number {
    let last = first;
    for (let k = first; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      if (is(t, 'punct', ',') || is(t, 'punct', ';') || isCloser(t) || (t.kind === 'template' && t.part === 'middle')) break;
      if (k > first && t.line > this.tokens[k - 1].endLine && t.kind === 'ident' && STATEMENT_START.has(t.value) && endsType(this.tokens[k - 1])) break;
      if (this.match[k] > k) k = this.match[k];
      last = k;
    }
    return this.tokens[last].endLine;
  }

  /** The index of the `{` opening the body after a parameter list (past a return type), if there is one. */
  private blockBody(j: number): number | undefined {
    if (is(this.tokens[j], 'punct', ':')) j = this.skipType(j + 1, '{');
    return j >= 0 && is(this.tokens[j], 'punct', '{') && this.match[j] >= 0 ? j : undefined;
  }

  /**
   * Skips a type annotation starting at `j` and returns the index of the
   * `stop` token that follows it (`{` for a body, `=>` for an arrow), or -1.
   * A `{` right after a token that can end a type is the body; anywhere else
   * it opens an object type, skipped whole.
   */
  private skipType(j: number, stop: '{' | '=>'): number {
    for (let k = j; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      const prev = this.tokens[k - 1];
      if (k > j && t.value === stop && t.kind === 'punct' && (stop === '=>' || endsType(prev))) return k;
      if (t.kind === 'punct' && [';', ',', '=', ')', ']', '}'].includes(t.value)) return -1;
      if (k > j && t.kind === 'ident' && t.line > prev.endLine && endsType(prev) && !['extends', 'is', 'as', 'keyof', 'typeof'].includes(t.value)) return -1;
      if (is(t, 'punct', '<')) { k = this.skipAngles(k) - 1; if (k < 0) return -1; continue; }
      if (this.match[k] > k) k = this.match[k];
      else if (this.match[k] < 0 && (t.value === '(' || t.value === '[' || t.value === '{')) return -1;
    }
    return -1;
  }

  /** The index after the `>` closing the `<` at `j`, or -1. */
  private skipAngles(j: number): number {
    let depth = 0;
    for (let k = j; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      if (is(t, 'punct', '<')) depth++;
      else if (is(t, 'punct', '>') && --depth === 0) return k + 1;
      else if (t.kind === 'punct' && [';', '{', '}'].includes(t.value) && this.match[k] < k) return -1;
      else if (this.match[k] > k) k = this.match[k];
    }
    return -1;
  }

  /** The index of the `<` whose `>` is at `k` (walking back), or -1. */
  private angleStart(k: number): number {
    let depth = 0;
    for (; k >= 0; k--) {
      const t = this.tokens[k];
      if (is(t, 'punct', '>')) depth++;
      else if (is(t, 'punct', '<') && --depth === 0) return k;
      else if (isCloser(t) && this.match[k] >= 0) k = this.match[k];
      else if (is(t, 'punct', ';') || is(t, 'punct', '{') || is(t, 'punct', '}')) return -1;
    }
    return -1;
  }
}

export function findFunctions(source: string): FunctionExtent[] {
  return new FunctionFinder(source).run();
}
