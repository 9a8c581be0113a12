import { loadArtifact, type LoadedArtifact } from '../model/artifact.ts';
import type { ModelSource } from '../container/config.ts';
import { resolveModel, resolveModelDirectory, type ResolvedModel } from '../registry/resolve.ts';
import type { RookeryConfig } from './config.ts';

/** The model a model source names: a registry reference (local or MLflow) or a model directory. */
export async function resolveSourceModel(source: ModelSource, config: RookeryConfig): Promise<ResolvedModel> {
  return source.kind === 'registry'
    ? await resolveModel(source.ref, { settings: config, cwd: process.cwd(), source: source.origin })
    : resolveModelDirectory(source.dir, source.origin);
}

/** The artifact a model source names. */
export async function loadModelArtifact(source: ModelSource, config: RookeryConfig): Promise<LoadedArtifact> {
  return loadArtifact((await resolveSourceModel(source, config)).dir);
}
