// A small TypeScript tokenizer for the architecture checks. The installed
// `typescript` package (7.x, the Go compiler) no longer exposes the JS
// compiler API, and esbuild drops type-only imports before reporting them,
// so the checks read tokens instead. It knows exactly what brace matching and
// import extraction need: strings, template literals with nested `${}`,
// regular expression literals and comments never produce bracket tokens.

export type TokenKind = 'ident' | 'string' | 'template' | 'number' | 'regex' | 'punct';

export interface Token {
  kind: TokenKind;
  /** The text (for strings: the contents without quotes, escapes kept raw). */
  value: string;
  line: number;
  endLine: number;
  /** For template chunks: head (`...${`), middle (`}...${`) or tail (`}...`). */
  part?: 'head' | 'middle' | 'tail';
}

const PUNCTUATORS = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**', '<<',
];
// `>` is always a single token so that `Array<Map<K, V>>` closes two type
// argument lists; nothing here needs to tell `>>` from `> >`.

/** Keywords after which a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORD = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await', 'default', 'extends',
]);

const IDENT_START = /[\p{ID_Start}$_#]/u;
const IDENT_PART = /[\p{ID_Continue}$\u200c\u200d]/u;
const NUMBER = /(?:0[xXbBoO][0-9a-fA-F_]+|\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?/y;

class Tokenizer {
  private pos = 0;
  private line = 1;
  readonly tokens: Token[] = [];
  /** One entry per open `{` or `${`, so a `}` knows whether it resumes a template. */
  private readonly braces: Array<'brace' | 'template'> = [];

  constructor(private readonly src: string) {}

  run(): Token[] {
    if (this.src.startsWith('#!')) this.skipLine();
    while (this.pos < this.src.length) this.next();
    return this.tokens;
  }

  private next(): void {
    const c = this.src[this.pos];
    const c2 = this.src[this.pos + 1];
    if (c === '\n') { this.line++; this.pos++; return; }
    if (/\s/.test(c)) { this.pos++; return; }
    if (c === '/' && c2 === '/') { this.skipLine(); return; }
    if (c === '/' && c2 === '*') { this.skipBlockComment(); return; }
    if (c === '\'' || c === '"') { this.string(c); return; }
    if (c === '`') { this.pos++; this.template('head'); return; }
    if (c === '}' && this.braces.at(-1) === 'template') { this.braces.pop(); this.pos++; this.template('middle'); return; }
    if (c === '/' && this.regexAllowed() && this.regex()) return;
    if (IDENT_START.test(c) || c === '\\') { this.ident(); return; }
    NUMBER.lastIndex = this.pos;
    const number = /\d/.test(c) || (c === '.' && /\d/.test(c2 ?? '')) ? NUMBER.exec(this.src) : null;
    if (number) { this.push('number', number[0], this.line); this.pos += number[0].length; return; }
    this.punct();
  }

  private push(kind: TokenKind, value: string, line: number, part?: Token['part']): void {
    this.tokens.push(part ? { kind, value, line, endLine: this.line, part } : { kind, value, line, endLine: this.line });
  }

  private skipLine(): void {
    const end = this.src.indexOf('\n', this.pos);
    this.pos = end === -1 ? this.src.length : end;
  }

  private skipBlockComment(): void {
    const end = this.src.indexOf('*/', this.pos + 2);
    const stop = end === -1 ? this.src.length : end + 2;
    this.countLines(this.pos, stop);
    this.pos = stop;
  }

  private countLines(from: number, to: number): void {
    for (let i = from; i < to; i++) if (this.src[i] === '\n') this.line++;
  }

  private string(quote: string): void {
    const start = this.pos;
    const line = this.line;
    let i = this.pos + 1;
    while (i < this.src.length && this.src[i] !== quote && this.src[i] !== '\n') i += this.src[i] === '\\' ? 2 : 1;
    this.countLines(start, Math.min(i, this.src.length));
    this.pos = i + 1;
    this.push('string', this.src.slice(start + 1, i), line);
  }

  /** Reads template text from `pos` up to the closing backtick or the next `${`. */
  private template(opening: 'head' | 'middle'): void {
    const start = this.pos;
    const line = this.line;
    let i = this.pos;
    while (i < this.src.length && this.src[i] !== '`' && !(this.src[i] === '$' && this.src[i + 1] === '{')) {
      i += this.src[i] === '\\' ? 2 : 1;
    }
    this.countLines(start, Math.min(i, this.src.length));
    const text = this.src.slice(start, i);
    if (this.src[i] === '$') {
      this.braces.push('template');
      this.pos = i + 2;
      this.push('template', text, line, opening);
    } else {
      this.pos = i + 1;
      // A template without substitutions is a plain string (`import(\`./a.ts\`)`).
      if (opening === 'head') this.push('string', text, line);
      else this.push('template', text, line, 'tail');
    }
  }

  private regexAllowed(): boolean {
    const prev = this.tokens.at(-1);
    if (!prev) return true;
    switch (prev.kind) {
      case 'ident': return REGEX_AFTER_WORD.has(prev.value);
      case 'punct': return ![')', ']', '++', '--'].includes(prev.value);
      case 'template': return prev.part !== 'tail';
      default: return false;
    }
  }

  /** Reads a regular expression literal; false (nothing consumed) if the line ends first. */
  private regex(): boolean {
    let i = this.pos + 1;
    let inClass = false;
    for (; i < this.src.length; i++) {
      const ch = this.src[i];
      if (ch === '\n') return false;
      if (ch === '\\') { i++; continue; }
      if (ch === '[') inClass = true;
      else if (ch === ']') inClass = false;
      else if (ch === '/' && !inClass) break;
    }
    if (i >= this.src.length) return false;
    i++;
    while (i < this.src.length && IDENT_PART.test(this.src[i])) i++;
    this.push('regex', this.src.slice(this.pos, i), this.line);
    this.pos = i;
    return true;
  }

  private ident(): void {
    let i = this.pos + 1;
    while (i < this.src.length && (IDENT_PART.test(this.src[i]) || this.src[i] === '\\')) i++;
    this.push('ident', this.src.slice(this.pos, i), this.line);
    this.pos = i;
  }

  private punct(): void {
    const rest = this.src.slice(this.pos, this.pos + 4);
    let value = PUNCTUATORS.find((p) => rest.startsWith(p)) ?? this.src[this.pos];
    // `a?.5:1` is a conditional, not optional chaining.
    if (value === '?.' && /\d/.test(this.src[this.pos + 2] ?? '')) value = '?';
    if (value === '{') this.braces.push('brace');
    if (value === '}') this.braces.pop();
    this.push('punct', value, this.line);
    this.pos += value.length;
  }
}

export function tokenize(source: string): Token[] {
  return new Tokenizer(source).run();
}

export function isOpener(t: Token): boolean {
  return t.kind === 'punct' ? t.value === '(' || t.value === '[' || t.value === '{' : t.kind === 'template' && t.part === 'head';
}

export function isCloser(t: Token): boolean {
  return t.kind === 'punct' ? t.value === ')' || t.value === ']' || t.value === '}' : t.kind === 'template' && t.part === 'tail';
}

/**
 * For each opening bracket (`(`, `[`, `{`, template head or middle) the index
 * of its closing one, and back; -1 where a bracket is unbalanced. A template
 * middle (`}...${`) closes one substitution and opens the next.
 */
export function matchBrackets(tokens: Token[]): number[] {
  const match = new Array<number>(tokens.length).fill(-1);
  const stack: number[] = [];
  tokens.forEach((t, i) => {
    const middle = t.kind === 'template' && t.part === 'middle';
    if (isCloser(t) || middle) {
      const open = stack.pop();
      if (open !== undefined) { match[open] = i; match[i] = open; }
    }
    if (isOpener(t) || middle) stack.push(i);
  });
  return match;
}

export function is(t: Token | undefined, kind: TokenKind, value?: string): boolean {
  return t !== undefined && t.kind === kind && (value === undefined || t.value === value);
}
