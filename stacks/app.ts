// The AWS CDK app (cdk.json: `npx tsx stacks/app.ts`) and its only composition root: the one place
// that reads context (`-c key=value`, checked once in config.ts), the environment and the model's
// files; the stacks get plain values.
import { App } from 'aws-cdk-lib';
import { UserError } from '../model/user-error.ts';
import { CicdStack } from './cicd-stack.ts';
import { readAppConfig, stackEnv } from './config.ts';
import { CAPTURE_PREFIX } from './constructs/sagemaker-endpoint.ts';
import { EndpointStack, GROUND_TRUTH_PREFIX } from './endpoint-stack.ts';
import { MlflowStack } from './mlflow-stack.ts';
import { PipelineStack } from './pipeline-stack.ts';
import { addEndpointStack, prepareServedModel } from './support/endpoint-app.ts';
import { addGuardChecks } from './support/guard.ts';
import { addNagChecks } from './support/nag.ts';

const app = new App();
try {
  const config = readAppConfig(app.node);
  const env = stackEnv(config.context, process.env);
  const placement = env ? { env } : {};
  addNagChecks(app);
  addGuardChecks(app);

  const mlflow = new MlflowStack(app, 'MlflowStack', { context: config.context, ...placement });
  const endpoint = await addEndpointStack(app, 'EndpointStack', { config: config.endpoint, retainData: config.context.retainData, ...placement }, () =>
    prepareServedModel(config.endpoint.model, { env: process.env, cwd: process.cwd(), outdir: app.outdir }),
  );
  // The jobs run in MLflow's VPC and reach the server privately; the password stays in Secrets Manager.
  const pipeline = new PipelineStack(app, 'PipelineStack', {
    config: config.pipeline,
    ...placement,
    mlflow: mlflow.pipelineConnection(),
    ...(endpoint instanceof EndpointStack ? { endpoint: endpoint.target } : {}),
  });
  // Only with -c githubRepository: a fresh clone's synth stays as it was. Without a model yet, the ops
  // role gets no capture grants (there is no bucket); redeploying CicdStack after EndpointStack adds them.
  if (config.github) {
    new CicdStack(app, 'CicdStack', {
      github: config.github,
      ...placement,
      stateMachine: pipeline.stateMachine,
      ...(endpoint instanceof EndpointStack ? { monitoredData: { bucket: endpoint.bucket, key: endpoint.key, prefixes: [CAPTURE_PREFIX, GROUND_TRUTH_PREFIX] } } : {}),
    });
  }

  app.synth();
} catch (err) {
  if (!(err instanceof UserError)) throw err;
  console.error(`rookery CDK app: ${err.message}`);
  process.exit(1);
}
