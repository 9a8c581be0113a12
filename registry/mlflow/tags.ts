import { userInfo } from 'node:os';
import type { Tag } from './types.ts';

/**
 * System tags MLflow's clients set on every run (mlflow/utils/mlflow_tags.py);
 * nesting is the `mlflow.parentRunId` tag, which is what
 * `mlflow.start_run(nested=True)` sends and what the UI groups runs by.
 */
export const PARENT_RUN_ID_TAG = 'mlflow.parentRunId';

export function sourceTags(source: string): Tag[] {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): leave it unknown
  }
  return [
    { key: 'mlflow.source.name', value: source },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    { key: 'mlflow.user', value: user },
  ];
}
