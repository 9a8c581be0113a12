import { fileURLToPath } from 'node:url';
import { UserError } from './command.ts';

/** Settings the CLI takes from the environment, read and checked once. Flags override them per command. */
export interface RookeryConfig {
  /** Folder registry used when MLflow is not configured (ROOKERY_REGISTRY). */
  registryDir: string;
  /** Where downloaded models are cached (ROOKERY_CACHE). */
  cacheDir: string;
  /** Set when MLFLOW_TRACKING_URI is. */
  mlflow?: {
    trackingUri: string;
    username?: string;
    password?: string;
    token?: string;
  };
  dataPath: string;
  schemaPath: string;
}

export const DEFAULT_DATA_PATH = fileURLToPath(new URL('../data/penguins.csv', import.meta.url));
export const DEFAULT_SCHEMA_PATH = fileURLToPath(new URL('../data/penguins.schema.json', import.meta.url));
export const DEFAULT_MODEL_NAME = 'penguins';
export const DEFAULT_ALIAS = 'champion';

export function readConfig(env: NodeJS.ProcessEnv = process.env): RookeryConfig {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  if (uri) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw new UserError(`MLFLOW_TRACKING_URI=${JSON.stringify(uri)} is not a URL; set it like http://localhost:5000 or unset it to use the local registry`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UserError(`MLFLOW_TRACKING_URI=${JSON.stringify(uri)} must be an http:// or https:// tracking server; unset it to use the local registry`);
    }
  }
  return {
    registryDir: env.ROOKERY_REGISTRY || '.rookery/registry',
    cacheDir: env.ROOKERY_CACHE || '.rookery/cache',
    ...(uri
      ? {
          mlflow: {
            trackingUri: uri.replace(/\/+$/, ''),
            ...(env.MLFLOW_TRACKING_USERNAME ? { username: env.MLFLOW_TRACKING_USERNAME } : {}),
            ...(env.MLFLOW_TRACKING_PASSWORD ? { password: env.MLFLOW_TRACKING_PASSWORD } : {}),
            ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
          },
        }
      : {}),
    dataPath: env.ROOKERY_DATA || DEFAULT_DATA_PATH,
    schemaPath: env.ROOKERY_SCHEMA || DEFAULT_SCHEMA_PATH,
  };
}
