import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelRef, type ModelRef } from '../../model/reference.ts';
import {
  type ModelRegistry,
  type ModelVersionInfo,
  type RegisteredModelInfo,
  type RegisterOptions,
} from '../../model/registry.ts';
import { downloadDirectory, modelVersionArtifactPath, proxiedArtifactPath, uploadDirectory } from './artifacts.ts';
import type { MlflowClient } from './client.ts';
import { isMlflowError, MlflowError } from './errors.ts';
import { sourceTags } from './tags.ts';
import type { ModelVersion, RegisteredModel, Tag } from './types.ts';

/** Model version tags carrying the headline metrics, so listings need no extra requests. */
const METRIC_TAG_PREFIX = 'rookery.metric.';
/** Where a model sits in its run's artifacts, as `mlflow.<flavor>.log_model(..., "model")` puts it. */
export const MODEL_ARTIFACT_PATH = 'model';

/** A filter for `model-versions/search` matching one model name exactly. */
export function nameFilter(name: string): string {
  return name.includes("'") ? `name="${name}"` : `name='${name}'`;
}

function metricTags(metrics: Record<string, number> | undefined): Tag[] {
  return Object.entries(metrics ?? {}).map(([k, v]) => ({ key: `${METRIC_TAG_PREFIX}${k}`, value: String(v) }));
}

/** Alias names by version, from a registered model's own `aliases` list (`{alias, version}`). */
function aliasesByVersion(rm: RegisteredModel): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const { alias, version } of rm.aliases ?? []) {
    const key = String(Number(version));
    byVersion.set(key, [...(byVersion.get(key) ?? []), alias]);
  }
  return byVersion;
}

/**
 * A version as rookery shows it. `aliases` overrides the version's own field:
 * MLflow fills ModelVersion.aliases only in model-versions/get and
 * registered-models/alias, never in model-versions/search or a registered
 * model's latest_versions, so listings take them from the registered model.
 */
function toInfo(mv: ModelVersion, aliases: string[] = mv.aliases ?? []): ModelVersionInfo {
  const metrics: Record<string, number> = {};
  for (const t of mv.tags ?? []) {
    if (t.key.startsWith(METRIC_TAG_PREFIX) && Number.isFinite(Number(t.value))) metrics[t.key.slice(METRIC_TAG_PREFIX.length)] = Number(t.value);
  }
  return {
    name: mv.name,
    version: Number(mv.version),
    createdAt: new Date(mv.creation_timestamp ?? 0).toISOString(),
    aliases: [...aliases].sort(),
    ...(mv.description ? { description: mv.description } : {}),
    ...(mv.run_id ? { runId: mv.run_id } : {}),
    ...(Object.keys(metrics).length ? { metrics } : {}),
  };
}

function safeSegment(s: string): string {
  return s.replace(/[^\w.-]/g, '_');
}

/**
 * MLflow's model registry behind rookery's ModelRegistry interface: versions
 * point at `<run artifact root>/model` on the tracking server, aliases
 * replace stages, and resolving a reference downloads the version's files
 * once into `<cacheDir>/mlflow/<name>/<version>-<run id>` (the run id keeps a
 * rebuilt server's "version 1" from being mistaken for an old one).
 */
export class MlflowRegistry implements ModelRegistry {
  readonly location: string;
  readonly label = 'MLflow';

  constructor(
    private readonly client: MlflowClient,
    private readonly cacheDir: string,
  ) {
    this.location = `MLflow at ${client.trackingUri}`;
  }

  async register(name: string, artifactDir: string, options: RegisterOptions): Promise<ModelVersionInfo> {
    parseModelRef(name);
    const runId = options.runId ?? (await this.runHoldingArtifact(name, artifactDir));
    const run = await this.client.getRun(runId);
    const artifactRoot = run.info.artifact_uri.replace(/\/+$/, '');
    const modelPath = `${proxiedArtifactPath(artifactRoot)}/${MODEL_ARTIFACT_PATH}`;
    // The tracker uploads the artifact with the run; a run given without it gets it here.
    if (!(await this.client.listArtifacts(modelPath)).some((f) => f.path === 'MLmodel')) {
      await uploadDirectory(this.client, artifactDir, modelPath);
    }
    try {
      await this.client.createRegisteredModel(name);
    } catch (err) {
      if (!isMlflowError(err, 'already-exists')) throw err;
    }
    const created = await this.client.createModelVersion({
      name,
      source: `${artifactRoot}/${MODEL_ARTIFACT_PATH}`,
      runId,
      ...(options.description ? { description: options.description } : {}),
      tags: metricTags(options.metrics),
    });
    const ready = await this.client.waitForModelVersion(name, created.version);
    if (options.alias) await this.client.setRegisteredModelAlias(name, options.alias, ready.version);
    const aliases = options.alias ? [...new Set([...(ready.aliases ?? []), options.alias])] : (ready.aliases ?? []);
    return toInfo({ ...ready, aliases });
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this.client.getModelVersion(name, version);
    await this.client.setRegisteredModelAlias(name, alias, version);
  }

  async resolve(ref: ModelRef): Promise<{ info: ModelVersionInfo; dir: string }> {
    const mv = 'alias' in ref
      ? await this.client.getModelVersionByAlias(ref.name, ref.alias)
      : 'version' in ref
        ? await this.client.getModelVersion(ref.name, ref.version)
        : await this.latest(ref.name);
    const key = safeSegment(mv.run_id || String(mv.creation_timestamp ?? 'unknown'));
    const dir = join(this.cacheDir, 'mlflow', safeSegment(mv.name), `${mv.version}-${key}`);
    if (!existsSync(join(dir, 'MLmodel'))) {
      const path = await modelVersionArtifactPath(this.client, mv.name, mv.version);
      await downloadDirectory(this.client, path, dir);
    }
    return { info: toInfo(mv), dir };
  }

  /** One registered-models/search (it carries each model's aliases) and one model-versions/search per model. */
  async list(): Promise<RegisteredModelInfo[]> {
    const models = await this.client.searchRegisteredModels();
    const out: RegisteredModelInfo[] = [];
    for (const rm of [...models].sort((a, b) => a.name.localeCompare(b.name))) {
      const byVersion = aliasesByVersion(rm);
      const versions = (await this.client.searchModelVersions(nameFilter(rm.name)))
        .map((mv) => toInfo(mv, byVersion.get(String(Number(mv.version))) ?? []))
        .sort((a, b) => a.version - b.version);
      const aliases = Object.fromEntries((rm.aliases ?? []).map((a) => [a.alias, Number(a.version)]));
      out.push({ name: rm.name, versions, aliases });
    }
    return out;
  }

  /** The highest version, read again with model-versions/get: search results carry no aliases. */
  private async latest(name: string): Promise<ModelVersion> {
    const versions = await this.client.searchModelVersions(nameFilter(name));
    if (versions.length === 0) {
      throw new MlflowError('not-found', `no versions of model ${name} in ${this.location}: run \`rookery train\` with MLFLOW_TRACKING_URI set first`);
    }
    const newest = versions.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
    return this.client.getModelVersion(name, newest.version);
  }

  /** A run to hold an artifact registered without one: `rookery` registering a directory directly. */
  private async runHoldingArtifact(name: string, artifactDir: string): Promise<string> {
    const experimentId = await this.client.getOrCreateExperiment(name);
    const run = await this.client.createRun({ experimentId, runName: `register-${name}`, tags: sourceTags('rookery register') });
    const runId = run.info.run_id;
    await uploadDirectory(this.client, artifactDir, `${proxiedArtifactPath(run.info.artifact_uri)}/${MODEL_ARTIFACT_PATH}`);
    await this.client.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
    return runId;
  }
}
