import { UserError } from '../../model/user-error.ts';
import { DEFAULT_BATCHER_OPTIONS, type BatcherOptions, type FaultPolicy } from './batcher.ts';

/** The capture queue's settings a user may change: what happens under a fault, durability, and their bounds. */
export type CaptureSettings = Pick<BatcherOptions, 'onFault' | 'durable' | 'maxWaitMs' | 'maxPendingBytes' | 'flushMs'>;

/** Each setting's environment variable, the one place the names are spelled. */
export const CAPTURE_SETTINGS: Record<keyof CaptureSettings, string> = {
  onFault: 'ROOKERY_CAPTURE_ON_FAULT',
  durable: 'ROOKERY_CAPTURE_DURABLE',
  maxWaitMs: 'ROOKERY_CAPTURE_MAX_WAIT_MS',
  maxPendingBytes: 'ROOKERY_CAPTURE_QUEUE_BYTES',
  flushMs: 'ROOKERY_CAPTURE_FLUSH_MS',
};

const POLICIES: readonly FaultPolicy[] = ['drop', 'hold'];

function wholeNumber(name: string, raw: string, fallback: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new UserError(`${name}=${JSON.stringify(raw)} is not a positive whole number; unset it for the default, ${fallback}`);
  }
  return Number(raw);
}

/** The capture settings from the environment (config.ts reads them once), each else its default. */
export function readCaptureSettings(env: NodeJS.ProcessEnv): CaptureSettings {
  const d = DEFAULT_BATCHER_OPTIONS;
  const get = (key: keyof CaptureSettings) => {
    const raw = env[CAPTURE_SETTINGS[key]];
    return raw === undefined || raw.trim() === '' ? undefined : raw;
  };
  const onFault = get('onFault')?.trim().toLowerCase() ?? d.onFault;
  if (!POLICIES.includes(onFault as FaultPolicy)) {
    throw new UserError(`${CAPTURE_SETTINGS.onFault}=${JSON.stringify(get('onFault'))} is not a capture fault policy; use drop or hold`);
  }
  const durable = get('durable')?.trim().toLowerCase() ?? String(d.durable);
  if (!['true', 'false'].includes(durable)) {
    throw new UserError(`${CAPTURE_SETTINGS.durable}=${JSON.stringify(get('durable'))} is not a boolean; use true or false`);
  }
  const number = (key: 'maxWaitMs' | 'maxPendingBytes' | 'flushMs') => {
    const raw = get(key);
    return raw === undefined ? d[key] : wholeNumber(CAPTURE_SETTINGS[key], raw, d[key]);
  };
  return { onFault: onFault as FaultPolicy, durable: durable === 'true', maxWaitMs: number('maxWaitMs'), maxPendingBytes: number('maxPendingBytes'), flushMs: number('flushMs') };
}
