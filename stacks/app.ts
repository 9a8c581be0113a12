// The AWS CDK app (cdk.json: `npx tsx stacks/app.ts`). One line per stack; settings come from
// `-c key=value`, read and checked once in shared/context.ts.
import { App } from 'aws-cdk-lib';
import { EndpointStack } from './endpoint-stack.ts';
import { MlflowStack } from './mlflow-stack.ts';
import { PipelineStack } from './pipeline-stack.ts';
import { ContextError, readContext, stackEnv } from './shared/context.ts';
import { addEndpointStack } from './shared/endpoint-app.ts';
import { addNagChecks } from './shared/nag.ts';
import { PipelineConfigError } from './shared/pipeline-config.ts';

const app = new App();
try {
  const context = readContext(app.node);
  const env = stackEnv(context);
  addNagChecks(app);

  const mlflow = new MlflowStack(app, 'MlflowStack', { context, ...(env ? { env } : {}) });
  const endpoint = await addEndpointStack(app, 'EndpointStack', { context, ...(env ? { env } : {}) });
  // The jobs run in MLflow's VPC and reach the server privately; the password stays in Secrets Manager.
  new PipelineStack(app, 'PipelineStack', {
    ...(env ? { env } : {}),
    mlflow: mlflow.pipelineConnection(),
    ...(endpoint instanceof EndpointStack ? { endpoint: endpoint.target } : {}),
  });

  app.synth();
} catch (err) {
  if (!(err instanceof ContextError || err instanceof PipelineConfigError)) throw err;
  console.error(`rookery CDK app: ${err.message}`);
  process.exit(1);
}
