import { parseArgs } from 'node:util';
import { UserError } from '../model/user-error.ts';
import { parseOptions, type HelpText, type OptionTable, type ParseOptions } from './help.ts';

export interface CommandContext<V> {
  values: V;
  positionals: string[];
  /** Where progress and results go; tests pass their own. */
  out: (line: string) => void;
}

/** A subcommand: its help text and option table (scripts/help.ts prints both), and what it does. */
export interface Command extends HelpText {
  allowPositionals?: boolean;
  run(ctx: CommandContext<Record<string, string | boolean | (string | boolean)[] | undefined>>): Promise<number>;
}

/**
 * A command the CLI imports only when it runs or prints its help: a command's
 * module pulls in its SDKs, and loading every one costs each start about
 * 20 MB and a quarter of a second before anything is done.
 */
export interface LazyCommand {
  /** The command's name as the module's `Command` has it; the CLI checks they agree. */
  name: string;
  load(): Promise<Command>;
}

/** What the CLI dispatches over: commands, or modules it loads on demand. */
export type CommandEntry = Command | LazyCommand;

/** The command behind an entry, importing its module if it is a LazyCommand. */
export async function loadCommand(entry: CommandEntry): Promise<Command> {
  if (!('load' in entry)) return entry;
  const cmd = await entry.load();
  if (cmd.name !== entry.name) throw new Error(`the command table names '${entry.name}' but its module defines '${cmd.name}'`);
  return cmd;
}

/** The option values parseArgs returns for a table, typed from it. */
export type OptionValues<O extends OptionTable> = ReturnType<typeof parseArgs<{ options: ParseOptions<O>; allowPositionals: true }>>['values'];

/** Typed helper so each command file gets its option values typed from its option table. */
export function defineCommand<O extends OptionTable>(spec: Omit<HelpText, 'options'> & {
  options: O;
  allowPositionals?: boolean;
  run(ctx: CommandContext<OptionValues<O>>): Promise<number>;
}): Command {
  return spec as unknown as Command;
}

/** `-3`, `-0.5`, `-.5`, `-1e3`: a negative number, never an option name. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * A negative number after an option that takes a value is that value
 * (`--seed -3` is `--seed=-3`), so the command's own check can say what is
 * wrong with it; node's parseArgs would call it ambiguous.
 */
function joinNegativeValues(cmd: Command, argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return out.concat(argv.slice(i));
    const next = argv[i + 1];
    if (next !== undefined && NEGATIVE_NUMBER.test(next) && takesValue(cmd, arg)) {
      out.push(`${arg.startsWith('--') ? arg : `--${longName(cmd, arg)}`}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function longName(cmd: Command, arg: string): string | undefined {
  if (arg.startsWith('--')) return arg.slice(2);
  if (/^-[^-]$/.test(arg)) return Object.entries(cmd.options).find(([, o]) => o.short === arg[1])?.[0];
  return undefined;
}

function takesValue(cmd: Command, arg: string): boolean {
  const name = longName(cmd, arg);
  return name !== undefined && Object.hasOwn(cmd.options, name) && cmd.options[name].type === 'string';
}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  try {
    return parseArgs({ args: joinNegativeValues(cmd, argv), options: parseOptions(cmd.options), allowPositionals: cmd.allowPositionals ?? false, strict: true });
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    // `--data --folds 3`: node calls the value ambiguous; say which value is missing and how to pass one starting with a dash.
    const ambiguous = /^Option '(-[^' ]+)' argument is ambiguous/.exec(first);
    const message = ambiguous
      ? `${ambiguous[1]} needs a value, not ${JSON.stringify(argv[argv.indexOf(ambiguous[1]) + 1] ?? '')}; a value starting with a dash is written ${ambiguous[1]}=-VALUE`
      : first;
    throw new UserError(`${message} (see 'rookery ${cmd.name} --help')`, { exitCode: 2 });
  }
}

/** Parses a number flag, naming the flag and the bad value on failure. */
export function numberFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  check: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const fail = (why: string) => new UserError(`--${name} ${JSON.stringify(raw)} ${why}`, { exitCode: 2 });
  if (raw.trim() === '' || !Number.isFinite(value)) throw fail('is not a number');
  if (check.integer && !Number.isInteger(value)) throw fail('must be a whole number');
  if (check.min !== undefined && value < check.min) throw fail(`must be at least ${check.min}`);
  if (check.max !== undefined && value > check.max) throw fail(`must be at most ${check.max}`);
  return value;
}
