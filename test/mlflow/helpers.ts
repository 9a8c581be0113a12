import { MlflowClient, type MlflowClientOptions } from '../../registry/mlflow/client.ts';
import type { Clock } from '../../registry/mlflow/retry.ts';
import type { MlflowDouble } from './mlflow-double.ts';

/** A clock that records the delays it was asked for and never waits. */
export function instantClock(random = 0.5): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => random,
  };
}

export function clientFor(double: MlflowDouble, options: Partial<MlflowClientOptions> = {}): { client: MlflowClient; clock: ReturnType<typeof instantClock> } {
  const clock = instantClock();
  return { client: new MlflowClient({ trackingUri: double.uri, clock, timeoutMs: 5000, ...options }), clock };
}

export const ADMIN = { username: 'admin', password: 'generated-admin-password' };
