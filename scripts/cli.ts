import { commands } from './commands/index.ts';
import { parseCommandArgs, UserError, type Command } from './command.ts';

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  return byOne ? { cmd: byOne, rest: argv.slice(1) } : undefined;
}

function overview(): string {
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

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    out(overview());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
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
