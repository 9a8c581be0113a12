import type { ParseArgsConfig } from 'node:util';

/**
 * One entry of a command's option table: what node's parseArgs reads (`type`,
 * `short`, `multiple`) and what `--help` prints, so the flags a command takes
 * and the flags its help lists cannot drift apart.
 */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's placeholder in help: `--folds N`. */
  readonly value?: string;
  /** What the option does; further lines (after `\n`) continue under the first, which ends with `(default X)`. */
  readonly description: string;
  /**
   * The value the command uses when the option is absent: printed as
   * `(default X)` and in the usage line. Not applied by parsing (parseArgs
   * never sees it): the command passes the same value to `numberFlag` or `??`.
   */
  readonly default?: string | number;
  /** Shown without brackets in the usage line; the command itself checks that it is there. */
  readonly required?: boolean;
  /** `false` leaves a tuning option out of the usage line; it is still listed under Options. */
  readonly inUsage?: boolean;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** What parseArgs sees of a table: its parsing fields only. */
export type ParseOptions<O extends OptionTable> = { [K in keyof O]: Pick<O[K], Extract<keyof O[K], 'type' | 'short' | 'multiple'>> };

export function parseOptions<O extends OptionTable>(table: O): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    Object.entries(table).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
}

/** What `--help` prints about a command besides its option table. */
export interface HelpText {
  /** One or two words, e.g. `train` or `models list`. */
  name: string;
  summary: string;
  /** Positional arguments, as the usage line shows them after the command's name (`EXECUTION_ARN`). */
  args?: string;
  /** Text before the Options block: what the command does. */
  about?: string;
  /** Text after it: exit status, examples, environment. */
  notes?: string;
  options: OptionTable;
}

/** `--folds N`, `--no-alias`: an option as its help line starts. */
function label(name: string, o: OptionSpec): string {
  return `--${name}${o.type === 'string' && o.value ? ` ${o.value}` : ''}`;
}

/** `rookery train [--data FILE] [--folds 5] ...`: required options bare, the others in brackets, each with its default or placeholder. */
export function usageLine(help: HelpText): string {
  const words = Object.entries(help.options)
    .filter(([, o]) => o.inUsage !== false)
    .map(([name, o]) => {
      const shown = o.type === 'string' ? ` ${o.default ?? o.value ?? 'VALUE'}${o.multiple ? ' ...' : ''}` : '';
      return o.required ? `--${name}${shown}` : `[--${name}${shown}]`;
    });
  return ['rookery', help.name, ...(help.args ? [help.args] : []), ...words].join(' ');
}

/** Labels longer than this put their description on the next line, so one long flag does not push every description right. */
const MAX_LABEL = 24;

/** The `Options:` block: one line per option, descriptions aligned, `(default X)` ending the description's first line. */
export function optionsBlock(options: OptionTable): string {
  const entries = Object.entries(options).map(([name, o]) => ({ label: label(name, o), o }));
  const width = Math.min(MAX_LABEL, Math.max(...entries.map((e) => e.label.length))) + 2;
  const indent = ' '.repeat(2 + width);
  const lines = entries.flatMap(({ label, o }) => {
    const [head, ...more] = o.description.split('\n');
    const text = [`${head}${o.default === undefined ? '' : ` (default ${o.default})`}`, ...more];
    const first = label.length > MAX_LABEL ? [`  ${label}`, `${indent}${text[0]}`] : [`  ${label.padEnd(width)}${text[0]}`];
    return [...first, ...text.slice(1).map((l) => `${indent}${l}`)];
  });
  return ['Options:', ...lines].join('\n');
}

/** Drops the blank lines a template literal starts and ends with, keeping the first line's indentation. */
const block = (text: string) => text.replace(/^\s*\n/, '').trimEnd();

/** Everything `rookery CMD --help` prints. */
export function commandHelp(help: HelpText): string {
  const parts = [help.about, Object.keys(help.options).length ? optionsBlock(help.options) : undefined, help.notes];
  return [`Usage: ${usageLine(help)}`, help.summary, ...parts.filter((p): p is string => !!p).map(block)].join('\n\n');
}
