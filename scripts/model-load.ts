import { findArtifactDir, loadArtifact, type LoadedArtifact } from '../model/artifact.ts';
import { parseModelRef } from '../model/registry.ts';
import type { ModelSource } from '../container/config.ts';
import { UserError } from './command.ts';
import type { RookeryConfig } from './config.ts';
import { openRegistry } from './registry.ts';

/** The artifact a model source names: a registry reference (local or MLflow) or a model directory. */
export async function loadModelArtifact(source: ModelSource, config: RookeryConfig): Promise<LoadedArtifact> {
  if (source.kind === 'registry') {
    const registry = await openRegistry(config);
    const { dir } = await registry.resolve(parseModelRef(source.ref));
    return loadArtifact(dir);
  }
  const dir = findArtifactDir(source.dir, 2);
  if (!dir) throw new UserError(`${source.dir} (from ${source.origin}) holds no model: expected an MLmodel file there or up to two folders below`);
  return loadArtifact(dir);
}
