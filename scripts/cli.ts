import { UserError } from '../model/user-error.ts';
import { loadCommand, parseCommandArgs, type Command, type CommandEntry } from './command.ts';
import { commandHelp } from './help.ts';
import { VERSION } from './version.ts';

function findCommand(commands: CommandEntry[], argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { entry: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  return byOne ? { entry: byOne, rest: argv.slice(1) } : undefined;
}

/** The command list; `group` (e.g. `models`) narrows it to that group's subcommands. Loads the listed modules for their summaries. */
async function overview(commands: CommandEntry[], group?: string): Promise<string> {
  const listed = await Promise.all((group ? commands.filter((c) => c.name.startsWith(`${group} `)) : commands).map(loadCommand));
  const width = Math.max(...listed.map((c) => c.name.length));
  const what = group ? `${group} <command>` : '<command>';
  return [
    `Usage: rookery ${what} [options]`,
    '',
    'Commands:',
    ...listed.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run 'rookery ${what} --help' for a command's options.`,
  ].join('\n');
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/** Dispatches argv to one of `commands`; returns the exit status. */
export async function main(
  argv: string[],
  commands: CommandEntry[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  if (argv.length === 0) {
    err(await overview(commands));
    return 2;
  }
  if (isHelp(argv[0]) || (argv.length === 1 && argv[0] === 'help')) {
    out(await overview(commands));
    return 0;
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    out(`rookery ${VERSION}`);
    return 0;
  }
  // `rookery help train` is `rookery train --help`.
  if (argv[0] === 'help') {
    const topic = argv.slice(1).filter((a) => !isHelp(a));
    return main(topic.length ? [...topic, '--help'] : ['--help'], commands, out, err);
  }
  // A group's name alone (`rookery models`) or with --help lists its subcommands.
  const isGroup = commands.some((c) => c.name.startsWith(`${argv[0]} `));
  if (isGroup && (argv.length === 1 || (argv.length === 2 && isHelp(argv[1])))) {
    if (argv.length === 1) {
      err(await overview(commands, argv[0]));
      return 2;
    }
    out(await overview(commands, argv[0]));
    return 0;
  }
  const found = findCommand(commands, argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    const hint = group.length ? `; try one of: ${group.map((c) => `'rookery ${c.name}'`).join(', ')}` : "; run 'rookery --help'";
    throw new UserError(`unknown command '${argv.slice(0, group.length ? 2 : 1).join(' ')}'${hint}`, { exitCode: 2 });
  }
  const { rest } = found;
  const cmd = await loadCommand(found.entry);
  if (rest.some(isHelp)) {
    out(commandHelp(cmd));
    return 0;
  }
  const { values, positionals } = parseCommandArgs(cmd, rest);
  return cmd.run({ values, positionals, out });
}

/** Runs as a program: a one-line message and a non-zero status for errors a user can fix, a stack trace for bugs. */
export async function runProgram(commands: CommandEntry[]): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2), commands);
  } catch (err) {
    if (err instanceof UserError) {
      console.error(`rookery: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      console.error(`rookery: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
      process.exitCode = 70;
    }
  }
}
