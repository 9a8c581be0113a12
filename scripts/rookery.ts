// The command-line entry: `rookery <command>`. Everything else lives in cli.ts and commands/.
import { main } from './cli.ts';
import { isUserFacing } from './command.ts';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (isUserFacing(err)) {
    console.error(`rookery: ${err.message}`);
    process.exitCode = err.exitCode ?? 1;
  } else {
    console.error(`rookery: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    process.exitCode = 70;
  }
}
