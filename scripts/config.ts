import { fileURLToPath } from 'node:url';
import type { ModelRegistry } from '../model/registry.ts';
import { openRegistry } from '../registry/open.ts';
import { readRegistrySettings, type RegistrySettings } from '../registry/settings.ts';

/** Settings the CLI takes from the environment, read and checked once. Flags override them per command. */
export interface RookeryConfig extends RegistrySettings {
  dataPath: string;
  schemaPath: string;
}

export const DEFAULT_DATA_PATH = fileURLToPath(new URL('../data/penguins.csv', import.meta.url));
export const DEFAULT_SCHEMA_PATH = fileURLToPath(new URL('../data/penguins.schema.json', import.meta.url));

export function readConfig(env: NodeJS.ProcessEnv = process.env): RookeryConfig {
  return {
    ...readRegistrySettings(env),
    dataPath: env.ROOKERY_DATA || DEFAULT_DATA_PATH,
    schemaPath: env.ROOKERY_SCHEMA || DEFAULT_SCHEMA_PATH,
  };
}

/** The registry a command uses: its `--registry` folder when given, else the configured one. */
export function commandRegistry(config: RookeryConfig, registryFlag?: string): ModelRegistry {
  return openRegistry(registryFlag ? { ...config, registryDir: registryFlag } : config);
}
