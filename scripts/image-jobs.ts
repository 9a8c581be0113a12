// The image's second bundle (rookery-jobs.mjs, loaded by scripts/image.ts for
// these commands only): the training pipeline's deploy and monitoring jobs,
// which use the AWS SDK and the blob stores that the serving bundle leaves out.
import { fileURLToPath } from 'node:url';
import { runProgram } from './cli.ts';
import { sagemakerDeployCommand } from './commands/deploy-sagemaker.ts';
import { monitorCommand } from './commands/monitor.ts';
import { pipelineMonitorCommand } from './commands/pipeline-monitor.ts';
import { scoreCommand } from './commands/score.ts';

// The S3 store, for the serving entry's `train` and `models register` with s3:// locations
// (scripts/aws/s3-store-loader.ts imports this bundle for it); the job commands run only when asked for.
// Behind a dynamic import, so the bundle evaluates the AWS SDK only when an s3:// location is used
// (`score --help` from the bundle: 108 MB peak with a static export, 88 MB without).
export const s3BlobStore = async () => (await import('./store/s3-store.ts')).S3BlobStore;

// `monitor` is the Azure ML scheduled monitor's job (azure/constructs/scheduled-monitor.ts);
// `score` is `rookery score --target azure`'s job (scripts/score/azure-job.ts), on mounted paths.
const jobs = [sagemakerDeployCommand, pipelineMonitorCommand, monitorCommand, scoreCommand];
const asked = (c: { name: string }) => process.argv.slice(2, 2 + c.name.split(' ').length).join(' ') === c.name;
// Not awaited: the commands' own s3:// access imports this module, which must have finished evaluating.
if (jobs.some(asked) || process.argv[1] === fileURLToPath(import.meta.url)) void runProgram(jobs);
