// The image's second bundle (rookery-jobs.mjs, loaded by scripts/image.ts for
// these commands only): the training pipeline's deploy and monitoring jobs,
// which use the AWS SDK and the blob stores that the serving bundle leaves out.
import { fileURLToPath } from 'node:url';
import { runProgram } from './cli.ts';
import { sagemakerDeployCommand } from './commands/deploy-sagemaker.ts';
import { pipelineMonitorCommand } from './commands/pipeline-monitor.ts';

// The S3 store, for the serving entry's `train` and `models register` with s3:// locations
// (scripts/aws/s3-store-loader.ts imports this bundle for it); the job commands run only when asked for.
export { S3BlobStore } from './store/s3-store.ts';

const jobs = [sagemakerDeployCommand, pipelineMonitorCommand];
const asked = (c: { name: string }) => process.argv.slice(2, 2 + c.name.split(' ').length).join(' ') === c.name;
// Not awaited: the commands' own s3:// access imports this module, which must have finished evaluating.
if (jobs.some(asked) || process.argv[1] === fileURLToPath(import.meta.url)) void runProgram(jobs);
