import type { Node } from 'constructs';
import { ContextError } from './context.ts';

/**
 * EndpointStack's `-c key=value` settings, read and checked once. Keys that
 * could mean something to another stack of the app carry an `endpoint`
 * prefix; every default is here.
 */
export interface EndpointConfig {
  /** The SageMaker endpoint's name (`endpointName`); PipelineStack reads the same key. */
  endpointName: string;
  /** What to serve (`model`): a registry reference or a model directory; unset means the local registry's champion. */
  model?: string;
  /** ML instance type (`endpointInstanceType`). */
  instanceType: string;
  /** Instances the endpoint starts with (`endpointInstanceCount`). */
  instanceCount: number;
  /** Autoscaling floor and ceiling (`endpointMinInstances`, `endpointMaxInstances`); equal values turn autoscaling off. */
  minInstances: number;
  maxInstances: number;
  /** Target of the scaling policy: invocations per instance per minute (`endpointInvocationsPerInstance`). */
  invocationsPerInstance: number;
  /** Share of requests Data Capture records (`captureSamplingPercentage`). */
  samplingPercentage: number;
  /** Model latency (milliseconds, average over a minute) above which the latency alarm fires (`latencyAlarmMs`). */
  latencyAlarmMs: number;
  /** 5xx answers in a minute at or above which the error alarm fires (`errorAlarmCount`). */
  errorAlarmCount: number;
  /** Baking period of a stack-driven blue/green update before the old fleet goes (`bakeSeconds`). */
  bakeSeconds: number;
}

export const ENDPOINT_DEFAULTS = {
  endpointName: 'rookery-penguins',
  instanceType: 'ml.m5.large',
  instanceCount: 1,
  maxInstances: 2,
  invocationsPerInstance: 600,
  samplingPercentage: 100,
  latencyAlarmMs: 500,
  errorAlarmCount: 1,
  bakeSeconds: 300,
} as const;

/** The variant every rookery endpoint serves through; alarms, scaling and `rookery deploy sagemaker` name it. */
export const VARIANT_NAME = 'AllTraffic';

/**
 * Endpoint names leave room for the suffix `rookery deploy sagemaker` adds to
 * its model and configuration names (SageMaker allows 63 characters).
 */
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,39}$/;
const ML_INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;

function read(node: Node, key: string): unknown {
  const raw: unknown = node.tryGetContext(key);
  return raw === '' || raw === null ? undefined : raw;
}

function readString(node: Node, key: string): string | undefined {
  const raw = read(node, key);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ContextError(key, raw, 'expected a string');
  return raw.trim();
}

function readInteger(node: Node, key: string, fallback: number, min: number, max: number): number {
  const raw = read(node, key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw new ContextError(key, raw, `expected a whole number from ${min} to ${max}`);
  return value;
}

export function readEndpointConfig(node: Node): EndpointConfig {
  const endpointName = readString(node, 'endpointName') ?? ENDPOINT_DEFAULTS.endpointName;
  if (!ENDPOINT_NAME.test(endpointName)) {
    throw new ContextError('endpointName', endpointName, 'expected 1-40 letters, digits and hyphens, starting and ending with a letter or digit');
  }
  const instanceType = readString(node, 'endpointInstanceType') ?? ENDPOINT_DEFAULTS.instanceType;
  if (!ML_INSTANCE_TYPE.test(instanceType)) {
    throw new ContextError('endpointInstanceType', instanceType, 'expected a SageMaker instance type like ml.m5.large');
  }
  const instanceCount = readInteger(node, 'endpointInstanceCount', ENDPOINT_DEFAULTS.instanceCount, 1, 100);
  const minInstances = readInteger(node, 'endpointMinInstances', instanceCount, 1, 100);
  const maxInstances = readInteger(node, 'endpointMaxInstances', Math.max(minInstances, instanceCount, ENDPOINT_DEFAULTS.maxInstances), 1, 100);
  if (maxInstances < minInstances) {
    throw new ContextError('endpointMaxInstances', maxInstances, `must be at least endpointMinInstances (${minInstances})`);
  }
  if (instanceCount < minInstances || instanceCount > maxInstances) {
    throw new ContextError('endpointInstanceCount', instanceCount, `must lie between endpointMinInstances (${minInstances}) and endpointMaxInstances (${maxInstances})`);
  }
  const model = readString(node, 'model');
  return {
    endpointName,
    ...(model ? { model } : {}),
    instanceType,
    instanceCount,
    minInstances,
    maxInstances,
    invocationsPerInstance: readInteger(node, 'endpointInvocationsPerInstance', ENDPOINT_DEFAULTS.invocationsPerInstance, 1, 1_000_000),
    samplingPercentage: readInteger(node, 'captureSamplingPercentage', ENDPOINT_DEFAULTS.samplingPercentage, 0, 100),
    latencyAlarmMs: readInteger(node, 'latencyAlarmMs', ENDPOINT_DEFAULTS.latencyAlarmMs, 1, 60_000),
    errorAlarmCount: readInteger(node, 'errorAlarmCount', ENDPOINT_DEFAULTS.errorAlarmCount, 1, 1_000_000),
    bakeSeconds: readInteger(node, 'bakeSeconds', ENDPOINT_DEFAULTS.bakeSeconds, 0, 3600),
  };
}
