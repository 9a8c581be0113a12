import { MlflowClient } from '../registry/mlflow/client.ts';
import type { RookeryConfig } from './config.ts';
import { MlflowTracker } from './mlflow/tracking.ts';
import type { TrainingTracker } from './training.ts';

/** The experiment tracker for this configuration: MLflow runs when MLFLOW_TRACKING_URI is set, none otherwise. */
export function openTracker(config: RookeryConfig, out: (line: string) => void): TrainingTracker | undefined {
  return config.mlflow ? new MlflowTracker(new MlflowClient(config.mlflow), out) : undefined;
}
