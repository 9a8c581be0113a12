import { existsSync } from 'node:fs';
import { findArtifactDir } from '../model/artifact.ts';
import { DEFAULT_MODEL_REF } from '../model/defaults.ts';
import { parseModelReference } from '../model/reference.ts';
import { UserError } from '../model/user-error.ts';
import { parseCaptureUri, DEFAULT_CAPTURE_URI } from './capture/open.ts';
import { BATCH_ENV, readBatchSettings, type BatchSettings } from './batch-settings.ts';
import { readCaptureSettings, type CaptureSettings } from './capture/settings.ts';
import { SERVING_PORT } from './contract.ts';
import { DEFAULT_LIMITS, LIMIT_SETTINGS, type ServeLimits } from './limits.ts';

/** Where the model comes from, and which rule chose it (for the start-up log). */
export type ModelSource = { kind: 'dir'; dir: string; origin: string } | { kind: 'registry'; ref: string; origin: string };

export interface ServeConfig {
  port: number;
  host: string;
  model: ModelSource;
  captureUri: string;
  captureByDefault: boolean;
  /** The capture queue's fault policy, durability and bounds (ROOKERY_CAPTURE_*, capture/settings.ts). */
  capture: CaptureSettings;
  limits: ServeLimits;
  /** Set when SageMaker runs the container for Batch Transform (SAGEMAKER_BATCH=true); its limits are in `limits`. */
  batch?: BatchSettings;
}

export const SAGEMAKER_MODEL_DIR = '/opt/ml/model';

/**
 * The model location, first found wins: the --model flag; MODEL_DIR;
 * /opt/ml/model (SageMaker); AZUREML_MODEL_DIR (Azure ML mounts the model one
 * or two folders below it); the local registry's champion.
 */
export function resolveModelSource(flag: string | undefined, env: NodeJS.ProcessEnv, sagemakerDir = SAGEMAKER_MODEL_DIR): ModelSource {
  if (flag) {
    // One reading of a model reference everywhere (model/reference.ts): `penguins/3` is a version unless such a folder exists.
    if (parseModelReference(flag, process.cwd()).kind === 'registry') return { kind: 'registry', ref: flag, origin: '--model' };
    return { kind: 'dir', dir: flag, origin: '--model' };
  }
  if (env.MODEL_DIR) return { kind: 'dir', dir: env.MODEL_DIR, origin: 'MODEL_DIR' };
  if (existsSync(sagemakerDir)) return { kind: 'dir', dir: sagemakerDir, origin: 'SageMaker model directory' };
  if (env.AZUREML_MODEL_DIR) {
    const found = findArtifactDir(env.AZUREML_MODEL_DIR, 2);
    if (!found) throw new UserError(`AZUREML_MODEL_DIR=${env.AZUREML_MODEL_DIR} has no MLmodel file in it or up to two folders below: register the artifact directory written by \`rookery train\``);
    return { kind: 'dir', dir: found, origin: 'AZUREML_MODEL_DIR' };
  }
  return { kind: 'registry', ref: DEFAULT_MODEL_REF, origin: 'default (local registry champion)' };
}

function parsePort(raw: string, name: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port < 0 || port > 65535) {
    throw new UserError(`${name}=${JSON.stringify(raw)} is not a port number; use 0-65535 (0 picks a free port)`);
  }
  return port;
}

function parseBoolean(raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === '') return false;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new UserError(`${name}=${JSON.stringify(raw)} is not a boolean; use true or false`);
}

/** Each limit from its ROOKERY_* variable (a positive whole number), else its default. */
export function readServeLimits(env: NodeJS.ProcessEnv): ServeLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_SETTINGS) as (keyof ServeLimits)[]) {
    const name = LIMIT_SETTINGS[key];
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
      throw new UserError(`${name}=${JSON.stringify(raw)} is not a positive whole number; unset it for the default, ${DEFAULT_LIMITS[key]}`);
    }
    limits[key] = Number(raw);
  }
  // Node requires the headers to arrive within the time the whole request has.
  limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return limits;
}

/** The serving program's one configuration reader: flags first, then the environment, then defaults. */
export function readServeConfig(flags: { model?: string; port?: string; host?: string }, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const port =
    flags.port !== undefined
      ? parsePort(flags.port, '--port')
      : env.SAGEMAKER_BIND_TO_PORT
        ? parsePort(env.SAGEMAKER_BIND_TO_PORT, 'SAGEMAKER_BIND_TO_PORT')
        : SERVING_PORT;
  // DATA_COLLECTION_URI picks where captured requests go (capture/open.ts): SQLite (the default), file:///dir,
  // or a blob URI (https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX: Azure Blob Storage, signed in with the
  // deployment's managed identity). It never turns capture on: DATA_CAPTURE=true (default false) and a request's
  // params.data_capture do, for every sink alike. SageMaker endpoints leave it unset (their capture is SageMaker's
  // own Data Capture to S3), so they are unaffected.
  const captureUri = env.DATA_COLLECTION_URI || DEFAULT_CAPTURE_URI;
  try {
    parseCaptureUri(captureUri);
  } catch (err) {
    throw new UserError(`DATA_COLLECTION_URI: ${(err as Error).message}`);
  }
  const limits = readServeLimits(env);
  const batch = parseBoolean(env[BATCH_ENV.batch], BATCH_ENV.batch) ? readBatchSettings(env, limits) : undefined;
  return {
    port,
    // Inside the image the platform reaches the server from outside the container; on a workstation stay on loopback unless asked.
    host: flags.host ?? env.HOST ?? (env.ROOKERY_IMAGE === '1' ? '0.0.0.0' : '127.0.0.1'),
    model: resolveModelSource(flags.model, env),
    captureUri,
    captureByDefault: parseBoolean(env.DATA_CAPTURE, 'DATA_CAPTURE'),
    capture: readCaptureSettings(env),
    limits: batch?.limits ?? limits,
    ...(batch ? { batch: batch.batch } : {}),
  };
}
