import { LocalRegistry, type ModelRegistry } from '../model/registry.ts';
import type { RookeryConfig } from './config.ts';
import { MlflowClient } from './mlflow/client.ts';
import { MlflowRegistry } from './mlflow/registry.ts';
import { MlflowTracker } from './mlflow/tracking.ts';
import type { TrainingTracker } from './training.ts';

/** The registry for this configuration: the local folder unless MLflow is configured. */
export async function openRegistry(config: RookeryConfig, registryDir?: string): Promise<ModelRegistry> {
  if (config.mlflow) return new MlflowRegistry(new MlflowClient(config.mlflow), config.cacheDir);
  return new LocalRegistry(registryDir ?? config.registryDir);
}

/** The experiment tracker for this configuration: MLflow runs when MLFLOW_TRACKING_URI is set, none otherwise. */
export function openTracker(config: RookeryConfig, out: (line: string) => void): TrainingTracker | undefined {
  return config.mlflow ? new MlflowTracker(new MlflowClient(config.mlflow), out) : undefined;
}
