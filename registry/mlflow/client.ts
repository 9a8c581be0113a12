import {
  type ErrorContext,
  errorFromResponse,
  isMissingModelOrAlias,
  isMlflowError,
  MlflowError,
  unreachable,
} from './errors.ts';
import { planLogBatches, validateBatch, type Batch, type KeyValue, type Metric } from './batch.ts';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, RETRYABLE_STATUSES, systemClock, withRetries, type Clock, type RetryEvent, type RetryPolicy } from './retry.ts';
import type { Experiment, FileInfo, ModelVersion, RegisteredModel, Run, RunInfo, RunStatus, Tag } from './types.ts';
import { isCertificateError, pinnedFetch, type FetchLike } from './pinned-fetch.ts';

/** Where the tracking server is and how to authenticate, as MLflow's clients read it from MLFLOW_TRACKING_*. */
export interface MlflowConnection {
  trackingUri: string;
  username?: string;
  password?: string;
  token?: string;
  /**
   * PEM certificate(s) an https:// server must chain to, instead of Node's CA store
   * (MlflowStack's server certificate). Ignored for http:// (the tunnel).
   * @default Node's CA store
   */
  caCertificate?: string;
}

export interface MlflowClientOptions extends MlflowConnection {
  /** Per request; MLflow's client uses 120 s (MLFLOW_HTTP_REQUEST_TIMEOUT). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  onRetry?: (event: RetryEvent & { request: string }) => void;
}

/**
 * Basic when both username and password are set, else Bearer with the token:
 * the order MLflow's Python client checks them in (mlflow/utils/rest_utils.py,
 * http_request), whatever its env-var docstring says.
 */
export function authorizationHeader(c: MlflowConnection): string | undefined {
  if (c.username && c.password) return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  if (c.token) return `Bearer ${c.token}`;
  return undefined;
}

const API = '/api/2.0/mlflow';
const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';

/** Path segments percent-encoded one by one, slashes kept. */
export function encodeArtifactPath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  return e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * A client for the MLflow REST API 2.0 subset rookery uses: experiments,
 * runs, the model registry with aliases, and the tracking server's proxied
 * artifact API (`mlflow server --serve-artifacts`).
 */
export class MlflowClient {
  readonly trackingUri: string;
  private readonly authorization?: string;
  private readonly username?: string;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly clock: Clock;
  private readonly onRetry?: MlflowClientOptions['onRetry'];
  private readonly fetch: FetchLike;
  private readonly pinned: boolean;

  constructor(options: MlflowClientOptions) {
    this.trackingUri = options.trackingUri.replace(/\/+$/, '');
    this.pinned = options.caCertificate !== undefined && this.trackingUri.startsWith('https:');
    this.fetch = this.pinned ? pinnedFetch(options.caCertificate!) : (url, init) => fetch(url, init);
    this.authorization = authorizationHeader(options);
    this.username = options.username && options.password ? options.username : undefined;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.clock = options.clock ?? systemClock;
    this.onRetry = options.onRetry;
  }

  /** One HTTP exchange with retries; any final non-2xx answer becomes an MlflowError. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
    const url = new URL(this.trackingUri + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { 'User-Agent': 'rookery-mlflow-client' };
    if (this.authorization) headers.Authorization = this.authorization;
    if (options.contentType) headers['Content-Type'] = options.contentType;
    const ctx: ErrorContext = { trackingUri: this.trackingUri, method, path, credentialsSent: this.authorization !== undefined, username: this.username };
    const request = `${method} ${path}`;

    return withRetries(
      async () => {
        let response: Response;
        let body: Buffer;
        try {
          response = await this.fetch(url, { method, headers, body: options.body, signal: AbortSignal.timeout(this.timeoutMs) });
          body = Buffer.from(await response.arrayBuffer());
        } catch (err) {
          const reason = networkReason(err, this.timeoutMs);
          if (isCertificateError(err)) throw unreachable(ctx, `${reason}: the server's TLS certificate is not ${this.pinned ? 'the one in ROOKERY_MLFLOW_CA_CERT / MLFLOW_TRACKING_SERVER_CERT_PATH' : 'trusted; set MLFLOW_TRACKING_SERVER_CERT_PATH to its PEM file'}`);
          return { done: false, reason, giveUp: () => unreachable(ctx, reason) };
        }
        if (response.ok) return { done: true, value: { status: response.status, headers: response.headers, body } };
        const giveUp = () => errorFromResponse(ctx, response.status, body.toString('utf8'));
        if (!RETRYABLE_STATUSES.has(response.status)) throw giveUp();
        return { done: false, reason: `HTTP ${response.status}`, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')), giveUp };
      },
      this.policy,
      this.clock,
      this.onRetry && ((event) => this.onRetry!({ ...event, request })),
    );
  }

  /** A JSON endpoint under /api/2.0/mlflow: GET takes query parameters, the others a JSON body (mlflow/utils/rest_utils.py, call_endpoint). */
  private async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, params: Record<string, unknown> = {}): Promise<T> {
    const path = `${API}${endpoint}`;
    const response =
      method === 'GET'
        ? await this.request(method, path, { query: params as Record<string, string | number | undefined> })
        : await this.request(method, path, { body: JSON.stringify(params), contentType: 'application/json' });
    const text = response.body.toString('utf8');
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as T;
    } catch {
      // fall through to the error below
    }
    throw new MlflowError('server', `MLflow at ${this.trackingUri} answered ${method} ${path} with something that is not a JSON object (${JSON.stringify(text.slice(0, 80))}): is MLFLOW_TRACKING_URI an MLflow tracking server?`,
      { status: response.status, request: `${method} ${path}` },
    );
  }

  // Experiments (mlflow/protos/service.proto: GetExperimentByName, CreateExperiment)

  /** The experiment, or undefined when there is none by that name. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const { experiment } = await this.call<{ experiment: Experiment }>('GET', '/experiments/get-by-name', { experiment_name: name });
      return experiment;
    } catch (err) {
      if (isMlflowError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  async createExperiment(name: string, options: { artifactLocation?: string; tags?: Tag[] } = {}): Promise<string> {
    const { experiment_id } = await this.call<{ experiment_id: string }>('POST', '/experiments/create', {
      name,
      ...(options.artifactLocation ? { artifact_location: options.artifactLocation } : {}),
      ...(options.tags?.length ? { tags: options.tags } : {}),
    });
    return experiment_id;
  }

  /** The id of the named experiment, created if missing (another client creating it first is fine). */
  async getOrCreateExperiment(name: string): Promise<string> {
    const existing = await this.getExperimentByName(name);
    if (existing) return existing.experiment_id;
    try {
      return await this.createExperiment(name);
    } catch (err) {
      if (!isMlflowError(err, 'already-exists')) throw err;
      const raced = await this.getExperimentByName(name);
      if (!raced) throw err;
      return raced.experiment_id;
    }
  }

  // Runs (CreateRun, GetRun, LogBatch, UpdateRun)

  async createRun(options: { experimentId: string; runName?: string; startTime?: number; tags?: Tag[] }): Promise<Run> {
    const { run } = await this.call<{ run: Run }>('POST', '/runs/create', {
      experiment_id: options.experimentId,
      start_time: options.startTime ?? Date.now(),
      ...(options.runName ? { run_name: options.runName } : {}),
      ...(options.tags?.length ? { tags: options.tags } : {}),
    });
    return run;
  }

  async getRun(runId: string): Promise<Run> {
    const { run } = await this.call<{ run: Run }>('GET', '/runs/get', { run_id: runId });
    return run;
  }

  /** Logs everything, split into as many requests as MLflow's per-request limits need. */
  async logBatch(runId: string, batch: Partial<Batch>): Promise<number> {
    const all: Batch = { metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] };
    validateBatch(all);
    const requests = planLogBatches(runId, all);
    for (const b of requests) {
      await this.call('POST', '/runs/log-batch', {
        run_id: runId,
        ...(b.metrics.length ? { metrics: b.metrics } : {}),
        ...(b.params.length ? { params: b.params } : {}),
        ...(b.tags.length ? { tags: b.tags } : {}),
      });
    }
    return requests.length;
  }

  async updateRun(runId: string, update: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    const { run_info } = await this.call<{ run_info: RunInfo }>('POST', '/runs/update', {
      run_id: runId,
      ...(update.status ? { status: update.status } : {}),
      ...(update.endTime !== undefined ? { end_time: update.endTime } : {}),
      ...(update.runName ? { run_name: update.runName } : {}),
    });
    return run_info;
  }

  // Registered models (mlflow/protos/model_registry.proto)

  async createRegisteredModel(name: string, options: { description?: string; tags?: Tag[] } = {}): Promise<RegisteredModel> {
    const { registered_model } = await this.call<{ registered_model: RegisteredModel }>('POST', '/registered-models/create', {
      name,
      ...(options.description ? { description: options.description } : {}),
      ...(options.tags?.length ? { tags: options.tags } : {}),
    });
    return registered_model;
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    try {
      const { registered_model } = await this.call<{ registered_model: RegisteredModel }>('GET', '/registered-models/get', { name });
      return registered_model;
    } catch (err) {
      if (isMlflowError(err, 'not-found')) {
        throw new MlflowError('not-found', `model ${name} is not registered in MLflow at ${this.trackingUri}: train and register it first (\`rookery train\` with MLFLOW_TRACKING_URI set)`, err);
      }
      throw err;
    }
  }

  /** Every registered model, all pages (MLflow allows up to 1000 per page). */
  async searchRegisteredModels(filter?: string, pageSize = 1000): Promise<RegisteredModel[]> {
    const all: RegisteredModel[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call<{ registered_models?: RegisteredModel[]; next_page_token?: string }>('GET', '/registered-models/search', {
        max_results: pageSize,
        ...(filter ? { filter } : {}),
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      all.push(...(page.registered_models ?? []));
      pageToken = page.next_page_token;
    } while (pageToken);
    return all;
  }

  // Model versions

  async createModelVersion(options: { name: string; source: string; runId?: string; description?: string; tags?: Tag[] }): Promise<ModelVersion> {
    const { model_version } = await this.call<{ model_version: ModelVersion }>('POST', '/model-versions/create', {
      name: options.name,
      source: options.source,
      ...(options.runId ? { run_id: options.runId } : {}),
      ...(options.description ? { description: options.description } : {}),
      ...(options.tags?.length ? { tags: options.tags } : {}),
    });
    return model_version;
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    try {
      const { model_version } = await this.call<{ model_version: ModelVersion }>('GET', '/model-versions/get', { name, version: String(version) });
      return model_version;
    } catch (err) {
      if (isMlflowError(err, 'not-found')) {
        throw new MlflowError('not-found', `model ${name} has no version ${version} in MLflow at ${this.trackingUri}: run \`rookery models list\` to see the versions`, err);
      }
      throw err;
    }
  }

  /** Versions matching a filter such as `name='penguins'`, all pages. */
  async searchModelVersions(filter: string, pageSize?: number): Promise<ModelVersion[]> {
    const all: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call<{ model_versions?: ModelVersion[]; next_page_token?: string }>('GET', '/model-versions/search', {
        filter,
        ...(pageSize ? { max_results: pageSize } : {}),
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      all.push(...(page.model_versions ?? []));
      pageToken = page.next_page_token;
    } while (pageToken);
    return all;
  }

  /** Where the version's files are, as the server resolves it (`storage_location`, else `source`). */
  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    const { artifact_uri } = await this.call<{ artifact_uri: string }>('GET', '/model-versions/get-download-uri', { name, version: String(version) });
    return artifact_uri;
  }

  /**
   * Polls until the version leaves PENDING_REGISTRATION, as MLflow's client
   * does after creating one (`await_registration_for`, 300 s).
   */
  async waitForModelVersion(name: string, version: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<ModelVersion> {
    const timeoutMs = options.timeoutMs ?? 300_000;
    const pollMs = options.pollMs ?? 1000;
    for (let waited = 0; ; waited += pollMs) {
      const mv = await this.getModelVersion(name, version);
      if (mv.status === 'FAILED_REGISTRATION') {
        throw new MlflowError('server', `registering ${name} version ${version} failed in MLflow at ${this.trackingUri}: ${mv.status_message ?? 'no reason given'}`);
      }
      if (mv.status !== 'PENDING_REGISTRATION') return mv;
      if (waited >= timeoutMs) {
        throw new MlflowError('server', `${name} version ${version} is still PENDING_REGISTRATION after ${Math.round(timeoutMs / 1000)} s in MLflow at ${this.trackingUri}`);
      }
      await this.clock.sleep(pollMs);
    }
  }

  // Aliases (stages are deprecated since MLflow 2.9)

  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    await this.call('POST', '/registered-models/alias', { name, alias, version: String(version) });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.call('DELETE', '/registered-models/alias', { name, alias });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    try {
      const { model_version } = await this.call<{ model_version: ModelVersion }>('GET', '/registered-models/alias', { name, alias });
      return model_version;
    } catch (err) {
      if (isMissingModelOrAlias(err)) {
        throw new MlflowError('not-found', `model ${name} has no alias ${alias} in MLflow at ${this.trackingUri}: train and register first (\`rookery train\` with MLFLOW_TRACKING_URI set)`,
          err as MlflowError,
        );
      }
      throw err;
    }
  }

  // Proxied artifacts (mlflow/protos/mlflow_artifacts.proto; server handlers in mlflow/server/handlers.py)

  /** PUT the bytes at `path`, relative to the server's --artifacts-destination. */
  async uploadArtifact(path: string, data: Buffer, contentType = 'application/octet-stream'): Promise<void> {
    await this.request('PUT', `${ARTIFACTS_API}/${encodeArtifactPath(path)}`, { body: data, contentType });
  }

  async downloadArtifact(path: string): Promise<Buffer> {
    const { body } = await this.request('GET', `${ARTIFACTS_API}/${encodeArtifactPath(path)}`);
    return body;
  }

  /** The entries directly under `path` (base names); empty when there is nothing there. */
  async listArtifacts(path?: string): Promise<FileInfo[]> {
    const { body } = await this.request('GET', ARTIFACTS_API, { query: path ? { path } : {} });
    const parsed = JSON.parse(body.toString('utf8')) as { files?: FileInfo[] };
    return (parsed.files ?? []).map((f) => ({ path: f.path, is_dir: f.is_dir === true, ...(f.file_size !== undefined ? { file_size: Number(f.file_size) } : {}) }));
  }
}

export type { Batch, KeyValue, Metric };
