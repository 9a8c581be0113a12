/**
 * The serving program's public contract: its default port and routes. The
 * Azure app's inferenceConfig and the SageMaker/MLflow clients use these, so
 * they are defined once here.
 */
export const SERVING_PORT = 8080;

export const ROUTES = {
  /** SageMaker health check: 200 once the model is loaded. */
  ping: '/ping',
  /** MLflow scoring server's health route, same meaning as /ping. */
  health: '/health',
  /** Azure ML liveness: the process is up. */
  live: '/live',
  /** Azure ML readiness: the model is loaded. */
  ready: '/ready',
  /** Azure ML scoring route; behaves exactly like /invocations. */
  score: '/score',
  /** SageMaker and MLflow scoring route. */
  invocations: '/invocations',
  /** MLflow scoring server's version route. */
  version: '/version',
  /** SageMaker Batch Transform's optional settings route; only with SAGEMAKER_BATCH=true (else 404, as on an endpoint). */
  executionParameters: '/execution-parameters',
} as const;

/** SageMaker's real-time payload cap (InvokeEndpoint BodyBlob max, 6 MB). */
export const MAX_BODY_BYTES = 6_291_456;
