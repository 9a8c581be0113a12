import { UserError } from '../model/user-error.ts';
import type { ServeLimits } from './limits.ts';

/**
 * SageMaker Batch Transform's settings for one container (SageMaker's page
 * "Custom Inference Code with Batch Transform"): the server is started as
 * `serve` with SAGEMAKER_BATCH=true, and SageMaker sets the three others only
 * when the transform job sets MaxPayloadInMB, MaxConcurrentTransforms or
 * BatchStrategy. Unset, SageMaker takes what GET /execution-parameters
 * answers, which is this.
 */
export interface BatchSettings {
  /** The largest body SageMaker sends, in MB as SageMaker counts them (its 6 MB is 6,291,456 bytes), 1-100. */
  maxPayloadInMB: number;
  /** How many /invocations SageMaker keeps open at once. */
  maxConcurrentTransforms: number;
  batchStrategy: 'MULTI_RECORD' | 'SINGLE_RECORD';
}

/** The environment variables SageMaker sets for a transform job, the one place the names are spelled. */
export const BATCH_ENV = {
  batch: 'SAGEMAKER_BATCH',
  maxPayloadInMB: 'SAGEMAKER_MAX_PAYLOAD_IN_MB',
  maxConcurrentTransforms: 'SAGEMAKER_MAX_CONCURRENT_TRANSFORMS',
  batchStrategy: 'SAGEMAKER_BATCH_STRATEGY',
} as const;

const MB = 1024 * 1024;
/** CreateTransformJob's caps: MaxPayloadInMB at most 100, and MaxConcurrentTransforms × MaxPayloadInMB at most 100. */
const MAX_PAYLOAD_IN_MB = 100;
/**
 * One JavaScript thread scores, and the scheduler works on one large request
 * at a time (steps.ts), so more concurrent requests cannot score faster: a
 * second one lets the next mini-batch arrive while this one is scored, more
 * would only wait in memory.
 */
const CONCURRENT_TRANSFORMS = 2;

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, max: number, fix: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw new UserError(`${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}; ${fix}`);
  return n;
}

function strategy(env: NodeJS.ProcessEnv): BatchSettings['batchStrategy'] {
  const raw = env[BATCH_ENV.batchStrategy]?.trim().toUpperCase();
  if (!raw) return 'MULTI_RECORD';
  if (raw === 'MULTI_RECORD' || raw === 'SINGLE_RECORD') return raw;
  throw new UserError(`${BATCH_ENV.batchStrategy}=${JSON.stringify(env[BATCH_ENV.batchStrategy])} is not MULTI_RECORD or SINGLE_RECORD; set the transform job's BatchStrategy to MultiRecord or SingleRecord`);
}

/**
 * The transform job's settings, and the limits raised to take them: a body of
 * MaxPayloadInMB always fits the body limit (the payload defaults to the body
 * limit, ROOKERY_MAX_BODY_BYTES, in whole MB), and each connection and all
 * of them together may hold two such bodies per open request (one being
 * scored, its answer, the next arriving), so no mini-batch is refused.
 */
export function readBatchSettings(env: NodeJS.ProcessEnv, limits: ServeLimits): { batch: BatchSettings; limits: ServeLimits } {
  const payload =
    wholeNumber(env, BATCH_ENV.maxPayloadInMB, 0, MAX_PAYLOAD_IN_MB, 'set the transform job\'s MaxPayloadInMB from 1 to 100') ??
    Math.min(MAX_PAYLOAD_IN_MB, Math.max(1, Math.floor(limits.maxBodyBytes / MB)));
  // 0 asks for HTTP chunked bodies of any size: a body this server must hold whole cannot be unbounded.
  if (payload === 0) throw new UserError(`${BATCH_ENV.maxPayloadInMB}=0 (chunked bodies of any size) is not supported; set the transform job's MaxPayloadInMB from 1 to 100`);
  const concurrency =
    wholeNumber(env, BATCH_ENV.maxConcurrentTransforms, 1, Number.MAX_SAFE_INTEGER, 'set the transform job\'s MaxConcurrentTransforms to 1 or more') ??
    Math.max(1, Math.min(CONCURRENT_TRANSFORMS, Math.floor(MAX_PAYLOAD_IN_MB / payload)));
  const maxBodyBytes = Math.max(limits.maxBodyBytes, payload * MB);
  return {
    batch: { maxPayloadInMB: payload, maxConcurrentTransforms: concurrency, batchStrategy: strategy(env) },
    limits: {
      ...limits,
      maxBodyBytes,
      maxConnectionBytes: Math.max(limits.maxConnectionBytes, 2 * maxBodyBytes),
      maxBufferedBytes: Math.max(limits.maxBufferedBytes, 2 * concurrency * maxBodyBytes),
    },
  };
}

/** GET /execution-parameters' answer: the keys SageMaker's page names. */
export function executionParameters(batch: BatchSettings): Record<string, string | number> {
  return { MaxConcurrentTransforms: batch.maxConcurrentTransforms, BatchStrategy: batch.batchStrategy, MaxPayloadInMB: batch.maxPayloadInMB };
}
