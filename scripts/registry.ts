import { DEFAULT_ALIAS } from '../model/defaults.ts';
import { MlflowClient } from '../registry/mlflow/client.ts';
import { DEFAULT_REGISTRY_DIR } from '../registry/settings.ts';
import type { RookeryConfig } from './config.ts';
import type { OptionTable } from './help.ts';
import { MlflowTracker } from './mlflow/tracking.ts';
import type { TrainingTracker } from './training.ts';

/** The experiment tracker for this configuration: MLflow runs when MLFLOW_TRACKING_URI is set, none otherwise. */
export function openTracker(config: RookeryConfig, out: (line: string) => void): TrainingTracker | undefined {
  return config.mlflow ? new MlflowTracker(new MlflowClient(config.mlflow), out) : undefined;
}

/** `--registry DIR` for every command that reads or writes a registry; `withMlflow` says what is used instead when MLflow is configured. */
export function registryFlag(withMlflow: string) {
  return {
    registry: { type: 'string', value: 'DIR', description: `folder registry (default ${DEFAULT_REGISTRY_DIR}, or ROOKERY_REGISTRY);\nwith MLFLOW_TRACKING_URI set, ${withMlflow}` },
  } as const satisfies OptionTable;
}

/** `--alias`/`--no-alias` and `--registry`, for the commands that register a version. */
export function registerFlags(withMlflow: string) {
  return {
    alias: { type: 'string', value: 'NAME', description: 'alias moved to the new version', default: DEFAULT_ALIAS },
    'no-alias': { type: 'boolean', description: 'register without moving any alias' },
    ...registryFlag(withMlflow),
  } as const satisfies OptionTable;
}
