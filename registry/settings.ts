import { readFileSync } from 'node:fs';
import { UserError } from '../model/user-error.ts';
import type { MlflowConnection } from './mlflow/client.ts';

/**
 * The CA certificate(s) to trust for an https:// MLflow, as PEM text: what the
 * pipeline's jobs get (from SSM Parameter Store, as an ECS secret). A file
 * instead: MLFLOW_TRACKING_SERVER_CERT_PATH, the variable MLflow's Python client reads.
 */
export const MLFLOW_CA_CERT_ENV = 'ROOKERY_MLFLOW_CA_CERT';

/**
 * Where models are registered, as every entry point reads it from the
 * environment: the CLI, the serving program, the CDK app and the cdktf app.
 * Entry points call `readRegistrySettings` once and pass the result down.
 */
export interface RegistrySettings {
  /** The folder registry used when MLflow is not configured (ROOKERY_REGISTRY). */
  readonly registryDir: string;
  /** Where models downloaded from MLflow are kept (ROOKERY_CACHE). */
  readonly cacheDir: string;
  /** Set when MLFLOW_TRACKING_URI is. */
  readonly mlflow?: MlflowConnection;
}

export const DEFAULT_REGISTRY_DIR = '.rookery/registry';
export const DEFAULT_CACHE_DIR = '.rookery/cache';

/**
 * Reads ROOKERY_REGISTRY, ROOKERY_CACHE and MLFLOW_TRACKING_*. Folders stay as
 * written (relative to the working directory), so messages show what the user set.
 */
export function readRegistrySettings(env: NodeJS.ProcessEnv): RegistrySettings {
  const mlflow = mlflowConnection(env);
  return {
    registryDir: env.ROOKERY_REGISTRY?.trim() || DEFAULT_REGISTRY_DIR,
    cacheDir: env.ROOKERY_CACHE?.trim() || DEFAULT_CACHE_DIR,
    ...(mlflow ? { mlflow } : {}),
  };
}

function mlflowConnection(env: NodeJS.ProcessEnv): MlflowConnection | undefined {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  if (!uri) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new UserError(`MLFLOW_TRACKING_URI=${JSON.stringify(uri)} is not a URL`, { fix: 'set it like http://localhost:5000 or unset it to use the local registry' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserError(`MLFLOW_TRACKING_URI=${JSON.stringify(uri)} must be an http:// or https:// tracking server`, { fix: 'unset it to use the local registry' });
  }
  const caCertificate = trustedCertificate(env);
  return {
    trackingUri: uri.replace(/\/+$/, ''),
    ...(caCertificate ? { caCertificate } : {}),
    ...(env.MLFLOW_TRACKING_USERNAME ? { username: env.MLFLOW_TRACKING_USERNAME } : {}),
    ...(env.MLFLOW_TRACKING_PASSWORD ? { password: env.MLFLOW_TRACKING_PASSWORD } : {}),
    ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
  };
}

/** ROOKERY_MLFLOW_CA_CERT's PEM, else the file MLFLOW_TRACKING_SERVER_CERT_PATH names. */
function trustedCertificate(env: NodeJS.ProcessEnv): string | undefined {
  const pem = env[MLFLOW_CA_CERT_ENV]?.trim();
  const path = env.MLFLOW_TRACKING_SERVER_CERT_PATH?.trim();
  const text = pem || (path ? readCertificateFile(path) : undefined);
  if (text !== undefined && !text.includes('-----BEGIN CERTIFICATE-----')) {
    const from = pem ? MLFLOW_CA_CERT_ENV : `MLFLOW_TRACKING_SERVER_CERT_PATH=${path}`;
    throw new UserError(`${from} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, { fix: "save the server's certificate as PEM, e.g. aws ssm get-parameter --name <TlsCertificateParameter> --query Parameter.Value --output text > mlflow-ca.pem" });
  }
  return text;
}

function readCertificateFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`MLFLOW_TRACKING_SERVER_CERT_PATH=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { fix: 'point it at the PEM file of the MLflow server\'s certificate, or unset it' });
  }
}
