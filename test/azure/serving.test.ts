import { describe, expect, it } from 'vitest';
import { ROUTES, SERVING_PORT } from '../../container/contract.ts';
import { LIVENESS_PROBE, READINESS_PROBE, REQUEST_SETTINGS, SERVING } from '../../azure/serving.ts';

const seconds = (iso: string) => Number(/^PT(\d+(?:\.\d+)?)S$/.exec(iso)?.[1]);

describe('the Azure app’s view of the serving program', () => {
  it('uses the serving program’s own port and routes', () => {
    expect(SERVING.port).toBe(SERVING_PORT);
    expect(SERVING.livenessPath).toBe(ROUTES.live);
    expect(SERVING.readinessPath).toBe(ROUTES.ready);
    expect(SERVING.scoringPath).toBe(ROUTES.score);
  });

  it('probes sooner than Azure’s 10 s default and gives up on a dead container within a minute', () => {
    expect(seconds(READINESS_PROBE.initialDelay)).toBeLessThan(10);
    expect(seconds(READINESS_PROBE.initialDelay)).toBeGreaterThanOrEqual(4 * 0.25);
    expect(seconds(LIVENESS_PROBE.period) * LIVENESS_PROBE.failureThreshold).toBeLessThanOrEqual(60);
    expect(seconds(READINESS_PROBE.period) * READINESS_PROBE.failureThreshold).toBeLessThanOrEqual(60);
    for (const probe of [READINESS_PROBE, LIVENESS_PROBE]) expect(seconds(probe.timeout)).toBeLessThan(seconds(probe.period));
  });

  it('keeps the request timeout within Azure’s 180 s cap', () => {
    expect(seconds(REQUEST_SETTINGS.requestTimeout)).toBeLessThanOrEqual(180);
    expect(REQUEST_SETTINGS.maxConcurrentRequestsPerInstance).toBeGreaterThanOrEqual(1);
  });
});
