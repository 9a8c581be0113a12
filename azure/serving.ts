/**
 * How Azure ML talks to the serving image. The values restate
 * container/contract.ts (azure/ does not import container/ code);
 * test/azure/serving.test.ts fails if the two ever disagree. Azure ML runs
 * the image's own ENTRYPOINT and CMD (`serve`), sets AZUREML_MODEL_DIR to the
 * mounted model, and sends probes and scoring requests to this port.
 */
import type { ProbeSettings, RequestSettings } from './arm-bodies.ts';

export const SERVING = {
  port: 8080,
  livenessPath: '/live',
  readinessPath: '/ready',
  scoringPath: '/score',
} as const;

/**
 * Probes sized from the program's real start-up, not Azure's defaults
 * (10 s delay, 10 s period, 30 failures).
 *
 * Azure ML starts the inference container only after its storage-initializer
 * container has copied the model in and the image is pulled, so neither the
 * mount nor the pull counts against these delays: they measure the Node
 * process alone, which accepts connections and has the model loaded within
 * 250 ms. Readiness therefore starts probing after 1 s (4x headroom for a
 * cold, shared VM) and every 5 s, so a new deployment takes traffic seconds
 * after its container starts rather than ~10 s; 12 failures (a minute) before
 * Azure gives up on a deployment whose model never loads. Liveness only says
 * the process answers, so it waits 5 s, probes every 10 s and restarts the
 * container after 3 misses (30 s unresponsive). Both time out at 2 s, the
 * budget SageMaker gives /ping, which the same server meets.
 */
export const READINESS_PROBE: ProbeSettings = {
  initialDelay: 'PT1S',
  period: 'PT5S',
  timeout: 'PT2S',
  successThreshold: 1,
  failureThreshold: 12,
};

export const LIVENESS_PROBE: ProbeSettings = {
  initialDelay: 'PT5S',
  period: 'PT10S',
  timeout: 'PT2S',
  successThreshold: 1,
  failureThreshold: 3,
};

/**
 * Scoring a batch takes milliseconds; the time goes into moving the body. The
 * endpoint's default 5 MBps bandwidth cap means a body near the server's 6 MB
 * limit needs over a second just to arrive, so 10 s covers the largest request
 * with margin while still failing a hung container fast (408 from Azure).
 * The Node server handles requests concurrently, so each instance takes 4 at
 * once instead of Azure's default of 1 (which turns short bursts into 429s).
 */
export const REQUEST_SETTINGS: RequestSettings = {
  requestTimeout: 'PT10S',
  maxConcurrentRequestsPerInstance: 4,
};

/**
 * How a job runs the CLI inside the serving image: Azure ML runs a command
 * job's `command` in a shell instead of the image's ENTRYPOINT, so it names
 * the program itself (container/Dockerfile's ENTRYPOINT; test/azure/capture-monitor.test.ts
 * checks the bundle path against it).
 */
export const IMAGE_COMMAND = 'node /app/rookery.mjs';
