// The container image's entry: `<image> serve` and `<image> train` run the same
// command modules as `rookery serve` and `rookery train`, and nothing else, so
// the bundle carries no cloud SDK or infrastructure code.
import { runProgram } from './cli.ts';
import { serveCommand } from './commands/serve.ts';
import { trainCommand } from './commands/train.ts';

await runProgram([serveCommand, trainCommand]);
