// The image's second bundle (rookery-jobs.mjs, loaded by scripts/image.ts for
// these commands only): the training pipeline's deploy and monitoring jobs,
// which use the AWS SDK and the blob stores that the serving bundle leaves out.
import { runProgram } from './cli.ts';
import { sagemakerDeployCommand } from './commands/deploy-sagemaker.ts';
import { pipelineMonitorCommand } from './commands/pipeline-monitor.ts';

await runProgram([sagemakerDeployCommand, pipelineMonitorCommand]);
