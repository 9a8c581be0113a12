// The container image's entry: `<image> serve` and `<image> train` run the same
// command modules as `rookery serve` and `rookery train`; the training
// pipeline's Batch jobs also run `<image> models register`. Those reach AWS
// with signed HTTPS requests of their own (scripts/pipeline/aws-client.ts), so
// the bundle carries no AWS SDK or infrastructure code and `serve` starts as
// fast as before.
import { runProgram } from './cli.ts';
import { modelsRegisterCommand } from './commands/models-register.ts';
import { serveCommand } from './commands/serve.ts';
import { trainCommand } from './commands/train.ts';

await runProgram([serveCommand, trainCommand, modelsRegisterCommand]);
