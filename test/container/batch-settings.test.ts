// Batch Transform's settings (container/batch-settings.ts) as readServeConfig
// reads them: what /execution-parameters answers, the limits raised to take
// MaxPayloadInMB, and the one-line refusals of values SageMaker would not send.
import { describe, expect, it } from 'vitest';
import { readServeConfig } from '../../container/config.ts';
import { DEFAULT_LIMITS } from '../../container/limits.ts';

const MiB = 1024 * 1024;
const read = (env: Record<string, string>) => readServeConfig({ model: '/nonexistent-model' }, { SAGEMAKER_BATCH: 'true', ...env });

describe('readServeConfig in Batch Transform mode', () => {
  it('is off unless SAGEMAKER_BATCH=true, and a value that is not a boolean stops the start', () => {
    expect(readServeConfig({ model: '/m' }, {}).batch).toBeUndefined();
    expect(readServeConfig({ model: '/m' }, { SAGEMAKER_BATCH: 'false', SAGEMAKER_MAX_PAYLOAD_IN_MB: '50' }).limits).toEqual(DEFAULT_LIMITS);
    expect(() => readServeConfig({ model: '/m' }, { SAGEMAKER_BATCH: 'batch' })).toThrow(/SAGEMAKER_BATCH="batch" is not a boolean/);
  });

  it('defaults: the endpoint limits, MaxPayloadInMB 6 (the 6 MB body limit), 2 concurrent transforms, MULTI_RECORD', () => {
    const config = read({});
    expect(config.batch).toEqual({ maxPayloadInMB: 6, maxConcurrentTransforms: 2, batchStrategy: 'MULTI_RECORD' });
    expect(config.limits.maxBodyBytes).toBe(6 * MiB);
    expect(config.limits.maxConnectionBytes).toBe(DEFAULT_LIMITS.maxConnectionBytes);
  });

  it('raises the body limit to SAGEMAKER_MAX_PAYLOAD_IN_MB, and the bytes held to two bodies per concurrent transform', () => {
    const config = read({ SAGEMAKER_MAX_PAYLOAD_IN_MB: '40', SAGEMAKER_MAX_CONCURRENT_TRANSFORMS: '2' });
    expect(config.limits).toMatchObject({ maxBodyBytes: 40 * MiB, maxConnectionBytes: 80 * MiB, maxBufferedBytes: 160 * MiB });
    // A body limit set above the payload is kept.
    expect(read({ SAGEMAKER_MAX_PAYLOAD_IN_MB: '2', ROOKERY_MAX_BODY_BYTES: String(10 * MiB) }).limits.maxBodyBytes).toBe(10 * MiB);
  });

  it('sizes the payload from ROOKERY_MAX_BODY_BYTES in whole MB, 1 to 100, and keeps concurrency × payload within 100', () => {
    expect(read({ ROOKERY_MAX_BODY_BYTES: String(500 * MiB) }).batch).toMatchObject({ maxPayloadInMB: 100, maxConcurrentTransforms: 1 });
    expect(read({ ROOKERY_MAX_BODY_BYTES: '1000' }).batch?.maxPayloadInMB).toBe(1);
    expect(read({ ROOKERY_MAX_BODY_BYTES: '1000' }).limits.maxBodyBytes).toBe(MiB);
    expect(read({ ROOKERY_MAX_BODY_BYTES: String(60 * MiB) }).batch).toMatchObject({ maxPayloadInMB: 60, maxConcurrentTransforms: 1 });
  });

  it('refuses values the transform job cannot have set, each naming the job setting to fix', () => {
    expect(() => read({ SAGEMAKER_MAX_PAYLOAD_IN_MB: '0' })).toThrow(/SAGEMAKER_MAX_PAYLOAD_IN_MB=0 \(chunked bodies of any size\) is not supported; set the transform job's MaxPayloadInMB from 1 to 100/);
    expect(() => read({ SAGEMAKER_MAX_PAYLOAD_IN_MB: '101' })).toThrow(/SAGEMAKER_MAX_PAYLOAD_IN_MB="101" is not a whole number from 0 to 100/);
    expect(() => read({ SAGEMAKER_MAX_CONCURRENT_TRANSFORMS: '0' })).toThrow(/MaxConcurrentTransforms to 1 or more/);
    expect(() => read({ SAGEMAKER_BATCH_STRATEGY: 'BATCH' })).toThrow(/SAGEMAKER_BATCH_STRATEGY="BATCH" is not MULTI_RECORD or SINGLE_RECORD/);
    expect(read({ SAGEMAKER_BATCH_STRATEGY: 'single_record' }).batch?.batchStrategy).toBe('SINGLE_RECORD');
  });
});
