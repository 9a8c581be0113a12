import { isUserFacing, parseCommandArgs, UserError, type Command } from './command.ts';

function findCommand(commands: Command[], argv: string[]): { cmd: Command; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  return byOne ? { cmd: byOne, rest: argv.slice(1) } : undefined;
}

function overview(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: rookery <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'rookery <command> --help' for a command's options.",
  ].join('\n');
}

/** Dispatches argv to one of `commands`; returns the exit status. */
export async function main(argv: string[], commands: Command[], out: (line: string) => void = console.log): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    out(overview(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(commands, argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    const hint = group.length ? `; try one of: ${group.map((c) => `'rookery ${c.name}'`).join(', ')}` : "; run 'rookery --help'";
    throw new UserError(`unknown command '${argv.slice(0, group.length ? 2 : 1).join(' ')}'${hint}`, 2);
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    out(`Usage: ${cmd.usage}\n\n${cmd.summary}\n\n${cmd.help.trim()}`);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(cmd, rest);
  return cmd.run({ values, positionals, out });
}

/** Runs as a program: a one-line message and a non-zero status for errors a user can fix, a stack trace for bugs. */
export async function runProgram(commands: Command[]): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2), commands);
  } catch (err) {
    if (isUserFacing(err)) {
      console.error(`rookery: ${err.message}`);
      process.exitCode = err.exitCode ?? 1;
    } else {
      console.error(`rookery: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
      process.exitCode = 70;
    }
  }
}
