import { DEFAULT_ENDPOINT_NAME } from '../../cloud/sagemaker.ts';
import { COMPUTE_CLUSTER } from '../../cloud/azure-batch.ts';
import { ENVIRONMENT_NAME } from '../../cloud/azure-ml.ts';
import { defineCommand } from '../command.ts';
import { SCORE_FORMATS } from '../score/format.ts';
import { SCORE_TARGET_NAMES, scoreTarget } from '../score/targets.ts';

export const scoreCommand = defineCommand({
  name: 'score',
  summary: 'Score a whole file (CSV, JSON Lines or Parquet) with the model, streaming, into a new file',
  about: `
Reads --input a batch at a time (Parquet: a row group at a time), so memory
stays flat whatever the file's size, and writes --output in the same format:
the input's columns as they were, in the same order, plus prediction and
confidence. Rows that fail the model's validation (the same checks as the
server's) are left out of the output and written to --rejects, one JSON line
each: {"row": N, "line": L, "reason": "...", "input": {...}} (row counts data
rows from 1; line is the text line, for CSV and JSON Lines).
The output is written under a temporary name (an S3 multipart upload) and
appears under its own name only when the whole input is scored: Ctrl-C or an
error leaves no partial file there.
Files are paths (relative to the working directory), file:///abs/path, s3://bucket/key
or https://ACCOUNT.blob.core.windows.net/CONTAINER/key.

--target azure runs the same scoring in the serving image as an Azure ML
command job on the app's compute cluster (it scales to zero when idle), waits
with progress, and prints where the scores are or the job's error; Ctrl-C
cancels the job. There --input is a blob URL
(https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH), a datastore path
(azureml://datastores/NAME/paths/PATH) or a data asset (azureml:NAME:VERSION);
--output is a datastore path or a blob URL in the app's rookery-batch container
(Azure ML writes job outputs through datastores only), and the rejects go next
to it; --model is azureml:NAME:VERSION (default: the newest penguins version).

--target sagemaker runs a SageMaker Batch Transform job with the endpoint's
model (--endpoint), or --model packed and created as 'rookery deploy sagemaker'
does; --input is an s3:// CSV or JSON Lines file or prefix (Parquet: convert
it, or score locally), --output an s3:// prefix where NAME.out appears. Data
Capture is on (into the endpoint's capture location, --capture, or
--no-capture), so 'rookery monitor' reads batch predictions too; Ctrl-C stops
the job.`,
  notes: `
Exit status: 0 when every row was scored (or at most --max-rejects were
rejected), 1 when more rows were rejected or the input cannot be read,
2 for bad usage, 130 when interrupted. With --target azure: 1 when the job
fails (the error in one line), 130 after Ctrl-C has cancelled the job.

Examples:
  rookery score --model models:/penguins@champion --input data/penguins.csv --output scores.csv
  rookery score --input s3://bucket/batch/2026-12-01.parquet --output s3://bucket/scores/2026-12-01.parquet
  rookery score --target azure --input https://ACCOUNT.blob.core.windows.net/rookery-batch/in/2026-12-01.csv
    --output https://ACCOUNT.blob.core.windows.net/rookery-batch/scores/2026-12-01.csv`,
  options: {
    target: { type: 'string', value: SCORE_TARGET_NAMES.join('|'), description: 'where the scoring runs', default: 'local' },
    model: {
      type: 'string',
      value: 'M',
      description: "a model directory or registry reference, as for 'rookery serve' (default: MODEL_DIR,\nthen the local registry's penguins@champion)",
    },
    input: { type: 'string', value: 'FILE', description: 'the rows to score: .csv, .jsonl (.ndjson) or .parquet', required: true },
    output: { type: 'string', value: 'FILE', description: "where the scored rows go, in the input's format", required: true },
    rejects: { type: 'string', value: 'FILE', description: 'where rejected rows go (default: next to the output, NAME.rejects.jsonl)' },
    format: { type: 'string', value: SCORE_FORMATS.join('|'), description: "the input's format when its name does not say" },
    'max-rejects': { type: 'string', value: 'N', description: 'rejected rows tolerated with exit status 0', default: 0 },
    'peak-memory': { type: 'boolean', description: "print the process's peak resident memory at the end (benchmarks, tests)" },
    compute: { type: 'string', value: 'NAME', description: 'azure: the compute cluster the job runs on', default: COMPUTE_CLUSTER, inUsage: false },
    environment: { type: 'string', value: 'VERSION', description: `azure: the ${ENVIRONMENT_NAME} environment version (the serving image; default: the newest)`, inUsage: false },
    subscription: { type: 'string', value: 'ID', description: "azure: the workspace's subscription (defaults as for 'rookery deploy azure')", inUsage: false },
    'resource-group': { type: 'string', value: 'RG', description: "azure: the workspace's resource group (defaults as for 'rookery deploy azure')", inUsage: false },
    workspace: { type: 'string', value: 'WS', description: "azure: the workspace (defaults as for 'rookery deploy azure')", inUsage: false },
    endpoint: { type: 'string', value: 'NAME', description: "sagemaker: the endpoint whose model, role and capture location the job uses", default: DEFAULT_ENDPOINT_NAME, inUsage: false },
    capture: { type: 'string', value: 's3://B/P', description: "sagemaker: where Data Capture writes (default: the endpoint's capture location)", inUsage: false },
    'no-capture': { type: 'boolean', description: 'sagemaker: no Data Capture for the job', inUsage: false },
    'instance-type': { type: 'string', value: 'TYPE', description: 'sagemaker: the transform instance type', default: 'ml.m5.large', inUsage: false },
    region: { type: 'string', value: 'R', description: "sagemaker: default AWS_REGION, then your AWS profile's region", inUsage: false },
    poll: { type: 'string', value: 'S', description: 'sagemaker: seconds between progress checks', default: 30, inUsage: false },
  },
  async run({ values, out }) {
    return scoreTarget(values.target)(values, out);
  },
});
