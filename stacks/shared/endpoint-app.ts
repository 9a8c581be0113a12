/**
 * How the CDK app (stacks/app.ts) adds EndpointStack. Two things happen here
 * rather than in the stack:
 *
 * - A model in MLflow is resolved (downloaded) through the CLI's registry
 *   client, which is asynchronous and talks HTTP, so it runs before the stack
 *   is built and the stack receives a plain directory. Stacks never import
 *   this module.
 * - With no model to serve yet (a fresh clone before `npm start`), the app
 *   gets an empty EndpointStack carrying the reason as an error annotation:
 *   the CDK CLI refuses to synthesize or deploy that stack with the message,
 *   while `cdk deploy MlflowStack` and the other stacks still work.
 */
import { Annotations, Stack, type App } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { parseModelRef, RegistryError } from '../../model/registry.ts';
import { UserError } from '../../scripts/command.ts';
import { readConfig } from '../../scripts/config.ts';
import { openRegistry } from '../../scripts/registry.ts';
import { EndpointStack, type EndpointStackProps } from '../endpoint-stack.ts';
import { DEFAULT_MODEL_REF, isRegistryRef, ModelSourceError, type ModelSource } from './model-artifact.ts';

/** EndpointStack, or a stand-in that says why it cannot be built. */
export async function addEndpointStack(app: App, id: string, props: EndpointStackProps = {}, env: NodeJS.ProcessEnv = process.env): Promise<Stack> {
  try {
    const model = props.model ?? (await registryModel(app.node, env));
    return new EndpointStack(app, id, { ...props, ...(model ? { model } : {}) });
  } catch (err) {
    if (!(err instanceof ModelSourceError)) throw err;
    const node = app.node.tryFindChild(id);
    if (node) app.node.tryRemoveChild(id);
    const standIn = new Stack(app, id, props);
    Annotations.of(standIn).addError(err.message);
    return standIn;
  }
}

/**
 * The model `-c model` names (default models:/penguins@champion) when
 * MLFLOW_TRACKING_URI is set and it is a registry reference; undefined
 * otherwise, leaving the stack to read a directory or the local registry.
 */
export async function registryModel(node: Node, env: NodeJS.ProcessEnv = process.env): Promise<ModelSource | undefined> {
  if (!env.MLFLOW_TRACKING_URI?.trim()) return undefined;
  const raw: unknown = node.tryGetContext('model');
  const text = typeof raw === 'string' && raw.trim() ? raw.trim() : DEFAULT_MODEL_REF;
  if (!isRegistryRef(text)) return undefined;
  try {
    const ref = parseModelRef(text);
    const registry = await openRegistry(readConfig(env));
    const { info, dir } = await registry.resolve(ref);
    return { dir, name: info.name, version: info.version, origin: `${text} (version ${info.version}) from MLflow` };
  } catch (err) {
    // Registry and MLflow errors (unreachable, unauthorized, not found) are all one-line user errors.
    if (err instanceof RegistryError || err instanceof UserError) throw new ModelSourceError(text, err.message);
    throw err;
  }
}
