/**
 * How the CDK app (stacks/app.ts) adds EndpointStack. Two things happen here
 * rather than in the stack, which only takes plain values:
 *
 * - The model `-c model` names is resolved through registry/resolve.ts (a
 *   folder is read in place; a registry reference reads the local registry,
 *   or downloads from MLflow when MLFLOW_TRACKING_URI is set) and packed as
 *   model.tar.gz into the cloud assembly folder, the only place synth writes.
 * - With no model to serve yet (a fresh clone before `npm start`), the app
 *   gets an empty EndpointStack carrying the reason as an error annotation:
 *   the CDK CLI refuses to synthesize or deploy that stack with the message,
 *   while `cdk deploy MlflowStack` and the other stacks still work.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Stack, type App } from 'aws-cdk-lib';
import { buildModelArchive } from '../../model/archive.ts';
import { DEFAULT_MODEL_REF } from '../../model/defaults.ts';
import { UserError } from '../../model/user-error.ts';
import { resolveModel } from '../../registry/resolve.ts';
import { readRegistrySettings } from '../../registry/settings.ts';
import { EndpointStack, type EndpointStackProps, type ServedModel } from '../endpoint-stack.ts';

export interface ServedModelOptions {
  /** Where ROOKERY_REGISTRY, ROOKERY_CACHE and MLFLOW_TRACKING_* are read. */
  readonly env: NodeJS.ProcessEnv;
  /** Relative model folders and registry folders are taken from here. */
  readonly cwd: string;
  /** The cloud assembly folder (app.outdir): model.tar.gz is written there and nowhere else. */
  readonly outdir: string;
}

/**
 * The model `-c model` names (unset: models:/penguins@champion), packed as
 * `<outdir>/model-<sha12>.tar.gz`. Any problem a user can fix is a UserError
 * saying `-c model=... is not valid: ...`.
 */
export async function prepareServedModel(text: string | undefined, options: ServedModelOptions): Promise<ServedModel> {
  const shown = text?.trim() ? text.trim() : `${DEFAULT_MODEL_REF} (the default)`;
  try {
    const model = await resolveModel(text, { settings: readRegistrySettings(options.env), cwd: options.cwd });
    const archive = buildModelArchive(model.dir);
    mkdirSync(options.outdir, { recursive: true });
    const archivePath = join(options.outdir, `model-${archive.sha256.slice(0, 12)}.tar.gz`);
    writeFileSync(archivePath, archive.body);
    return { archivePath, sha256: archive.sha256, name: model.name, ...(model.version !== undefined ? { version: model.version } : {}), origin: model.origin };
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`-c model=${shown} is not valid: ${err.message}`, { cause: err });
    throw err;
  }
}

/** EndpointStack serving `model()`, or a stand-in that says why it cannot be built. */
export async function addEndpointStack(app: App, id: string, props: Omit<EndpointStackProps, 'model'>, model: () => Promise<ServedModel>): Promise<Stack> {
  let served: ServedModel;
  try {
    served = await model();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const standIn = new Stack(app, id, props);
    Annotations.of(standIn).addError(err.message);
    return standIn;
  }
  return new EndpointStack(app, id, { ...props, model: served });
}
