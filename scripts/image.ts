// The container image's entry: `<image> serve` and `<image> train` run the same
// command modules as `rookery serve` and `rookery train`; the training
// pipeline's Batch jobs also run `<image> models register`. Commands that talk
// to AWS load its SDK with import() when they run, so `serve` starts as fast
// as before; no infrastructure code is bundled.
import { runProgram } from './cli.ts';
import { modelsRegisterCommand } from './commands/models-register.ts';
import { serveCommand } from './commands/serve.ts';
import { trainCommand } from './commands/train.ts';

await runProgram([serveCommand, trainCommand, modelsRegisterCommand]);
