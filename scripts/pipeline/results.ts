// The machine-readable results the pipeline's steps write and the state
// machine reads (`rookery train --result`, `rookery models register --result`).
import { UserError } from '../../model/user-error.ts';

/** What `rookery train --result` writes. The state machine's accuracy gate reads `accuracy`. */
export interface TrainingResult {
  name: string;
  /** Mean cross-validated accuracy. */
  accuracy: number;
  accuracyStd: number;
  threshold: number;
  passed: boolean;
  registered: boolean;
  /** The registered version, when `registered`. */
  version: number | null;
  alias: string | null;
  /** The experiment tracker's run (MLflow), when there is one. */
  runId: string | null;
  /** Where `--out` put the model artifact (a folder or s3:// prefix), for `rookery models register --from`. */
  artifact: string | null;
  /** The training report (`report.html`) inside `artifact`; `rookery pipeline run` prints it. */
  report: string | null;
  rows: number;
  folds: number;
  seed: number;
  createdAt: string;
}

/** What `rookery models register --result` writes; the deploy step deploys `models:/<name>/<version>`. */
export interface RegistrationResult {
  name: string;
  version: number;
  alias: string | null;
  runId: string | null;
  accuracy: number;
  /** The training result this version came from. */
  from: string;
  registry: string;
  createdAt: string;
}

/** Checks a training result read back from a file, naming the file and the bad field. */
export function parseTrainingResult(text: string, source: string): TrainingResult {
  let value: any;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${source} is not JSON (${(err as Error).message}); expected the file \`rookery train --result\` writes`);
  }
  const bad = (field: string, expected: string) =>
    new UserError(`${source}: "${field}" should be ${expected}, got ${JSON.stringify(value?.[field])}; expected the file \`rookery train --result\` writes`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${source} does not hold a JSON object`);
  if (typeof value.name !== 'string' || !value.name) throw bad('name', 'a model name');
  if (typeof value.accuracy !== 'number' || !(value.accuracy >= 0 && value.accuracy <= 1)) throw bad('accuracy', 'a number from 0 to 1');
  if (typeof value.threshold !== 'number') throw bad('threshold', 'a number');
  if (typeof value.passed !== 'boolean') throw bad('passed', 'true or false');
  if (value.runId !== null && typeof value.runId !== 'string') throw bad('runId', 'a string or null');
  if (value.artifact !== null && typeof value.artifact !== 'string') throw bad('artifact', 'a folder, an s3:// URI or null');
  return value as TrainingResult;
}
