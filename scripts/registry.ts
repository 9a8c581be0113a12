import { LocalRegistry, type ModelRegistry } from '../model/registry.ts';
import type { RookeryConfig } from './config.ts';

/** The registry for this configuration: the local folder unless MLflow is configured. */
export async function openRegistry(config: RookeryConfig, registryDir?: string): Promise<ModelRegistry> {
  return new LocalRegistry(registryDir ?? config.registryDir);
}
