import { loadArtifact, type LoadedArtifact } from '../model/artifact.ts';
import type { ModelSource } from '../container/config.ts';
import { resolveModel, resolveModelDirectory } from '../registry/resolve.ts';
import type { RookeryConfig } from './config.ts';

/** The artifact a model source names: a registry reference (local or MLflow) or a model directory. */
export async function loadModelArtifact(source: ModelSource, config: RookeryConfig): Promise<LoadedArtifact> {
  const model =
    source.kind === 'registry'
      ? await resolveModel(source.ref, { settings: config, cwd: process.cwd(), source: source.origin })
      : resolveModelDirectory(source.dir, source.origin);
  return loadArtifact(model.dir);
}
