/**
 * How the cdktf app turns what it reads into the stack's props: the
 * configuration (once), the model through the shared resolver, and the
 * image's files. azure/main.ts runs it; the tests run the same steps
 * in-process, so what they synthesize is what `cdktf synth` does.
 */
import { resolveModel } from '../registry/resolve.ts';
import { readRegistrySettings } from '../registry/settings.ts';
import { readAzureConfig, type AzureAppConfig } from './config.ts';
import { imageContent } from './image.ts';
import { explainResolveError, modelReference, toModelSource, type ModelSource } from './model-source.ts';
import { stackPaths, type AzureStackProps } from './stack.ts';

export interface AzureAppInput {
  readonly env: NodeJS.ProcessEnv;
  /** The app's cdktf context lookup (`app.node.tryGetContext`). */
  readonly context: (key: string) => unknown;
  /** The repository root: relative paths, the registry default and the image's build context. */
  readonly repoRoot: string;
}

/** The configuration and the model it names, resolved; every problem a user can fix is a UserError. */
export async function loadAzureApp(input: AzureAppInput): Promise<{ config: AzureAppConfig; model: ModelSource }> {
  const config = readAzureConfig({ env: input.env, context: input.context, repoRoot: input.repoRoot });
  const request = config.model;
  const options = { settings: readRegistrySettings(input.env), cwd: input.repoRoot, ...(request.dir ? { source: request.dir.origin } : {}) };
  const resolved = await resolveModel(modelReference(request), options).catch((err: unknown) => {
    throw explainResolveError(request, err);
  });
  return { config, model: toModelSource(request, resolved) };
}

/** The stack's props from plain values; `outdir` is where this synth writes (app.outdir). */
export function azureStackProps(config: AzureAppConfig, model: ModelSource, where: { repoRoot: string; outdir: string }): AzureStackProps {
  return {
    prefix: config.prefix,
    ...(config.endpointOverride ? { endpointName: config.endpointOverride } : {}),
    location: config.location,
    instanceType: config.instanceType,
    instanceCount: config.instanceCount,
    deploymentName: config.deploymentName,
    model,
    image: imageContent({ contextDir: where.repoRoot, dockerfile: config.dockerfile }),
    imageBuild: config.imageBuild,
    dockerfile: config.dockerfile,
    paths: stackPaths(where.outdir, where.repoRoot),
    ...(config.github ? { github: config.github } : {}),
    ...(config.remoteState ? { remoteState: config.remoteState } : {}),
    ...(config.monitor ? { monitor: config.monitor } : {}),
  };
}
