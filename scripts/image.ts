// The container image's entry: `<image> serve` and `<image> train` run the same
// command modules as `rookery serve` and `rookery train`; the training
// pipeline's Batch jobs also run `<image> models register`. For s3:// locations
// those load the S3 store (and the AWS SDK) from rookery-jobs.mjs
// (scripts/aws/s3-store-loader.ts), so this bundle carries no AWS SDK or
// infrastructure code and `serve` starts as fast as before.
//
// The pipeline's deploy and monitoring jobs need the AWS SDK and the blob
// stores, which this bundle must not carry; they live in a second bundle next
// to this one (scripts/image-jobs.ts -> rookery-jobs.mjs), loaded only for
// those commands. An image built without it says so.
import { existsSync } from 'node:fs';
import { runProgram } from './cli.ts';
import { modelsRegisterCommand } from './commands/models-register.ts';
import { serveCommand } from './commands/serve.ts';
import { trainCommand } from './commands/train.ts';

const JOB_COMMANDS = ['deploy sagemaker', 'pipeline monitor', 'monitor', 'score'];
const jobs = new URL('./rookery-jobs.mjs', import.meta.url);

const asked = (name: string) => process.argv.slice(2, 2 + name.split(' ').length).join(' ') === name;
const job = JOB_COMMANDS.find(asked);
if (job) {
  if (existsSync(jobs)) {
    await import(jobs.href);
  } else {
    console.error(`rookery: this image does not carry '${job}': it needs rookery-jobs.mjs (scripts/image-jobs.ts) next to ${new URL(import.meta.url).pathname}`);
    process.exitCode = 2;
  }
} else {
  await runProgram([serveCommand, trainCommand, modelsRegisterCommand]);
}
