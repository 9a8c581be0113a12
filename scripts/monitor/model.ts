import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadArtifact, METRICS_FILE, type Metrics } from '../../model/artifact.ts';
import type { Schema } from '../../model/schema.ts';
import { resolveModelSource } from '../../container/config.ts';
import type { ResolvedModel } from '../../registry/resolve.ts';
import { resolveSourceModel } from '../model-load.ts';
import type { RookeryConfig } from '../config.ts';

/** The model that made the captured predictions, as the report names it: captures do not record it, so the caller says which. */
export interface MonitoredModel {
  name: string;
  version: number | null;
  /** How it was chosen, e.g. `penguins@champion (version 4) from the local registry`. */
  origin: string;
  /** Cross-validated accuracy at training (metrics.json's accuracyMean), when the artifact records it. */
  trainingAccuracy: number | null;
}

/** Reads a resolved model's training accuracy from its metrics.json (absent in artifacts from elsewhere: null). */
export function monitoredModel(model: Pick<ResolvedModel, 'dir' | 'name' | 'version' | 'origin'>): MonitoredModel {
  let trainingAccuracy: number | null = null;
  try {
    const metrics = JSON.parse(readFileSync(join(model.dir, METRICS_FILE), 'utf8')) as Partial<Metrics>;
    const accuracy = metrics.evaluation?.accuracyMean;
    if (typeof accuracy === 'number' && Number.isFinite(accuracy)) trainingAccuracy = accuracy;
  } catch {
    // No readable metrics.json: the report says the training accuracy is unknown.
  }
  return { name: model.name, version: model.version ?? null, origin: model.origin, trainingAccuracy };
}

/** `rookery monitor --model M`: the schema from the model's artifact, and the model as the report names it. */
export async function resolveMonitoredModel(flag: string, config: RookeryConfig): Promise<{ schema: Schema; model: MonitoredModel }> {
  const resolved = await resolveSourceModel(resolveModelSource(flag, {}), config);
  return { schema: loadArtifact(resolved.dir).params.schema, model: monitoredModel(resolved) };
}
