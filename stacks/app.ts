// The AWS CDK app (cdk.json: `npx tsx stacks/app.ts`). One line per stack; settings come from
// `-c key=value`, read and checked once in shared/context.ts.
import { App } from 'aws-cdk-lib';
import { MlflowStack } from './mlflow-stack.ts';
import { ContextError, readContext, stackEnv } from './shared/context.ts';
import { addEndpointStack } from './shared/endpoint-app.ts';
import { addNagChecks } from './shared/nag.ts';

const app = new App();
try {
  const context = readContext(app.node);
  const env = stackEnv(context);
  addNagChecks(app);

  new MlflowStack(app, 'MlflowStack', { context, ...(env ? { env } : {}) });
  await addEndpointStack(app, 'EndpointStack', { context, ...(env ? { env } : {}) });
  // PipelineStack is added here the same way.

  app.synth();
} catch (err) {
  if (!(err instanceof ContextError)) throw err;
  console.error(`rookery CDK app: ${err.message}`);
  process.exit(1);
}
