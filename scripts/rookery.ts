// The command-line entry: `rookery <command>`.
import { runProgram } from './cli.ts';
import { commands } from './commands/index.ts';

await runProgram(commands);
