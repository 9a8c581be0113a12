import { LocalRegistry, type ModelRegistry } from '../model/registry.ts';
import { MlflowClient } from './mlflow/client.ts';
import { MlflowRegistry } from './mlflow/registry.ts';
import type { RegistrySettings } from './settings.ts';

/** The registry these settings name: MLflow when MLFLOW_TRACKING_URI is set, the local folder otherwise. */
export function openRegistry(settings: RegistrySettings): ModelRegistry {
  if (settings.mlflow) return new MlflowRegistry(new MlflowClient(settings.mlflow), settings.cacheDir);
  return new LocalRegistry(settings.registryDir);
}
