import { openCaptureSink } from '../../container/capture/open.ts';
import { executionParameters } from '../../container/batch-settings.ts';
import { readServeConfig } from '../../container/config.ts';
import { ROUTES } from '../../container/contract.ts';
import { stopOnSignals } from '../../container/lifecycle.ts';
import { startServer } from '../../container/server.ts';
import { defineCommand } from '../command.ts';
import { UserError } from '../../model/user-error.ts';
import { readConfig } from '../config.ts';
import { loadModelArtifact } from '../model-load.ts';

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'Serve the model over HTTP for SageMaker, Azure ML and MLflow clients, capturing requests',
  notes: `
Environment:
  DATA_CAPTURE=true          capture every request unless it sends params.data_capture=false
  DATA_COLLECTION_URI        sqlite:///penguins.db (default; relative to the working directory)
                             or file:///abs/dir for JSON Lines in SageMaker's Data Capture format
                             or https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX for the same
                             JSON Lines in Azure Blob Storage (signed in as the managed identity)
  ROOKERY_CAPTURE_ON_FAULT   drop (default: keep answering while capture fails, counting drops)
                             or hold (answers wait, up to ROOKERY_CAPTURE_MAX_WAIT_MS, losing nothing)
  ROOKERY_CAPTURE_DURABLE    true: answer only once the request's capture is written (default false)
  ROOKERY_CAPTURE_MAX_WAIT_MS, ROOKERY_CAPTURE_QUEUE_BYTES, ROOKERY_CAPTURE_FLUSH_MS: see the README
  ROOKERY_MAX_CONNECTIONS, ROOKERY_MAX_BODY_BYTES, ROOKERY_MAX_ROWS, ROOKERY_MAX_BUFFERED_BYTES,
  ROOKERY_MAX_CONNECTION_BYTES, ROOKERY_WRITE_TIMEOUT_MS, ROOKERY_REQUEST_TIMEOUT_MS,
  ROOKERY_HEADERS_TIMEOUT_MS         what clients may make the server hold: see the README
  SAGEMAKER_BATCH=true       Batch Transform: GET ${ROUTES.executionParameters}; CSV (no header) and JSON Lines
                             bodies scored a record per line (SAGEMAKER_MAX_PAYLOAD_IN_MB,
                             SAGEMAKER_MAX_CONCURRENT_TRANSFORMS, SAGEMAKER_BATCH_STRATEGY: see the README)

Routes: GET ${ROUTES.ping}, ${ROUTES.health}, ${ROUTES.live}, ${ROUTES.ready}, ${ROUTES.version}; POST ${ROUTES.invocations}, ${ROUTES.score}.
Stops on SIGTERM or SIGINT after finishing in-flight requests and writing pending captures.`,
  options: {
    model: {
      type: 'string',
      value: 'M',
      description:
        'a model directory, or a registry reference (models:/NAME@ALIAS, models:/NAME/VERSION);\nwithout it: MODEL_DIR, then /opt/ml/model (SageMaker), then AZUREML_MODEL_DIR\n(searched up to two folders down), then the local registry\'s penguins@champion',
    },
    port: { type: 'string', value: 'N', description: 'default: SAGEMAKER_BIND_TO_PORT, else 8080 (0 picks a free port)' },
    host: { type: 'string', value: 'ADDR', description: 'default: 127.0.0.1 (0.0.0.0 inside the image; HOST overrides)' },
  },
  async run({ values, out }) {
    // A bad --port is bad usage (exit 2); a bad SAGEMAKER_BIND_TO_PORT is bad state, which readServeConfig reports (exit 1).
    if (values.port !== undefined && !(/^\d+$/.test(values.port.trim()) && Number(values.port) <= 65535)) {
      throw new UserError(`--port=${JSON.stringify(values.port)} is not a port number; use 0-65535 (0 picks a free port)`, { exitCode: 2 });
    }
    const config = readServeConfig(values);
    const running = await startServer({
      port: config.port,
      host: config.host,
      loadModel: () => loadModelArtifact(config.model, readConfig()),
      openCapture: (model) => openCaptureSink(config.captureUri, model.params.schema, config.capture),
      captureByDefault: config.captureByDefault,
      limits: config.limits,
      ...(config.batch ? { batch: config.batch } : {}),
      log: out,
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new UserError(`port ${config.port} is in use: stop the other server or pass --port`);
      throw err;
    });
    out(`listening on http://${config.host}:${running.port} (model from ${config.model.origin})`);
    if (config.batch) out(`Batch Transform mode (SAGEMAKER_BATCH=true): ${JSON.stringify(executionParameters(config.batch))}`);

    return new Promise<number>((resolve) => {
      let exitCode = 0;
      const stop = (signal: string) => {
        out(`${signal}: finishing in-flight requests and writing captures`);
        running.stop().then(() => {
          out('stopped');
          resolve(exitCode);
        });
      };
      stopOnSignals(stop);
      running.ready.then(
        () => out(`model loaded; capture ${config.captureByDefault ? 'on' : 'off'} by default, to ${config.captureUri}`),
        (err: Error) => {
          out(`rookery serve: cannot load the model: ${err.message}`);
          exitCode = 1;
          stop('model load failed');
        },
      );
    });
  },
});
