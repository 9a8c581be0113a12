/**
 * An in-process stand-in for an MLflow 2.x tracking server started as
 * `mlflow server --serve-artifacts --app-name basic-auth`, for the endpoints
 * rookery's client calls. It follows MLflow's source, cited per behaviour:
 *
 * - routes and methods: mlflow/protos/service.proto, model_registry.proto,
 *   mlflow_artifacts.proto (all under /api/2.0 and /ajax-api/2.0);
 * - request parsing and validation, response bodies, error bodies and the
 *   status for each error code: mlflow/server/handlers.py,
 *   mlflow/server/validation.py, mlflow/utils/validation.py,
 *   mlflow/exceptions.py (ERROR_CODE_TO_HTTP_STATUS);
 * - store behaviour (ids, artifact URIs, version numbering, alias lookups,
 *   the wording of not-found/already-exists messages): the SQLAlchemy
 *   tracking and registry stores (mlflow/store/tracking/sqlalchemy_store.py,
 *   mlflow/store/model_registry/sqlalchemy_store.py);
 * - authentication and permissions: mlflow/server/auth/__init__.py with
 *   basic_auth.ini's default_permission = READ.
 *
 * Responses are JSON the way MLflow's message_to_json writes proto2 messages
 * (mlflow/utils/proto_json_utils.py: MessageToJson with proto field names,
 * int64 as JSON numbers): fields never set are left out, and so are empty
 * repeated fields, so an empty listing is `{}`.
 *
 * Model registry answers, field for field (checked against MLflow 2.12-3.x:
 * mlflow/protos/model_registry.proto, mlflow/server/handlers.py,
 * mlflow/store/model_registry/sqlalchemy_store.py and dbmodels/models.py,
 * mlflow/entities/model_registry/model_version.py and registered_model.py):
 *
 * - a ModelVersion's `aliases` are filled in only where the store calls
 *   _populate_model_version_aliases: model-versions/create, model-versions/get
 *   and registered-models/alias (get by alias). model-versions/search and a
 *   registered model's latest_versions are built by
 *   SqlModelVersion.to_mlflow_entity(), which passes aliases=[]: those
 *   versions never carry `aliases`, even when aliases point at them;
 * - a RegisteredModel (create, get, search) carries the model's own
 *   `aliases` list, entries `{alias, version}` with version a string, and
 *   latest_versions = the highest version in each stage (any status, no
 *   aliases); no user_id, description only when non-empty;
 * - a ModelVersion has no user_id (the store never sets one); description,
 *   run_id and run_link are `""` when the request left them out (the handler
 *   passes proto2's default to the store, and to_proto sets every field that
 *   is not None); status_message only when non-empty;
 * - searches page: registered-models/search by name ASC, max_results default
 *   100 and at most 1000; model-versions/search by last_updated_timestamp
 *   DESC, name ASC, version DESC, max_results default and limit 200000;
 *   next_page_token (base64 JSON `{"offset": n}`) only when more remain.
 *
 * It is a double,
 * not MLflow: search filters support only the `name = '...'` form the client
 * sends, and there is no UI, metric history or stage API.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface Fault {
  method?: string;
  /** Exact path, or a pattern tested against it. */
  path: string | RegExp;
  /** How many matching requests fail before the real handler answers again. */
  times: number;
  /** Answer with this status (MLflow's JSON error body for 503/429)... */
  status?: number;
  retryAfter?: string;
  /** ...or drop the connection without answering. */
  reset?: boolean;
}

type Permission = 'READ' | 'EDIT' | 'MANAGE';

export interface DoubleOptions {
  /** Turns on the basic-auth app; the first user is the admin. */
  users?: { username: string; password: string; admin?: boolean }[];
  /** `--no-serve-artifacts` when false. */
  serveArtifacts?: boolean;
  /** How run artifact roots are written: `mlflow-artifacts:/` (default) or with the server's host. */
  artifactRoot?: 'mlflow-artifacts:/' | 'mlflow-artifacts://host';
  /** New model versions answer PENDING_REGISTRATION to this many `get`s before READY. */
  pendingGets?: number;
}

interface ExperimentState {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  tags: { key: string; value: string }[];
  owner?: string;
}

interface RunState {
  info: {
    run_id: string;
    run_uuid: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  metrics: { key: string; value: number; timestamp: number; step: number }[];
  params: Map<string, string>;
  tags: Map<string, string>;
}

/**
 * A model_versions row. description, run_id and run_link are '' when the
 * request left them out: the handler passes proto2's default '' to the store,
 * which stores it, and ModelVersion.to_proto sets every field that is not None.
 */
interface VersionState {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  status_message?: string;
  tags: { key: string; value: string }[];
  run_link: string;
  storage_location: string;
  pendingGets: number;
}

interface ModelState {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  tags: { key: string; value: string }[];
  versions: VersionState[];
  aliases: Map<string, string>;
  owner?: string;
}

/** An MlflowException as catch_mlflow_exception serializes it. */
class MlflowException extends Error {
  constructor(
    message: string,
    readonly errorCode: string,
  ) {
    super(message);
  }
}

// mlflow/exceptions.py: ERROR_CODE_TO_HTTP_STATUS
const STATUS: Record<string, number> = {
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
};

const invalid = (message: string) => new MlflowException(message, 'INVALID_PARAMETER_VALUE');
const missing = (name: string) => invalid(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
const notFound = (message: string) => new MlflowException(message, 'RESOURCE_DOES_NOT_EXIST');

// mlflow/utils/validation.py
const VALID_NAME = /^[/\w.\- ]*$/;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const ALIAS = /^[\w-]*$/;
const LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000, bytes: 1_000_000, key: 250, paramValue: 6000, tagValue: 5000 };
const BAD_CHARACTERS = 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).';

function validateName(kind: string, name: unknown): void {
  if (typeof name !== 'string') throw invalid(`${kind} name cannot be None. A key name must be provided.`);
  if (!VALID_NAME.test(name)) throw invalid(`Invalid ${kind.toLowerCase()} name: '${name}'. ${BAD_CHARACTERS}`);
  const norm = posix.normalize(name);
  if (norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalid(`Invalid ${kind.toLowerCase()} name: '${name}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`);
  }
}

function validateLength(entity: string, limit: number, value: string): void {
  if (value.length > limit) throw invalid(`${entity} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`);
}

function batchLimit(entity: string, limit: number, length: number): void {
  if (length > limit) {
    throw invalid(`A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. Please split up ${entity} across multiple requests and try again.`);
  }
}

// mlflow/utils/uri.py: validate_path_is_safe
function safePath(path: string): string {
  const decoded = decodeURIComponent(path);
  if (decoded.startsWith('/') || decoded.split('/').includes('..') || decoded.includes('\0') || /^[a-z]+:/i.test(decoded)) {
    throw invalid(`Invalid path: ${path}`);
  }
  return decoded;
}

// mlflow/utils/search_utils.py: page tokens are base64 JSON offsets
const pageToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');
function pageOffset(token: string | null): number {
  if (!token) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset: number };
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw invalid('Invalid page token, could not base64-decode');
}

/** The `name = '...'` filter the client sends; anything else is refused rather than half-understood. */
function nameFromFilter(filter: string | null): string | undefined {
  if (!filter) return undefined;
  const m = /^\s*name\s*=\s*(?:'([^']*)'|"([^"]*)")\s*$/.exec(filter);
  if (!m) throw invalid(`this double only supports filters of the form name='NAME', got ${JSON.stringify(filter)}`);
  return m[1] ?? m[2];
}

const RUN_STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
const ADJECTIVES = ['bright', 'calm', 'gentle', 'swift'];
const NOUNS = ['auk', 'gull', 'puffin', 'tern'];

export class MlflowDouble {
  readonly requests: RecordedRequest[] = [];
  /** Files under the artifacts destination, by path. */
  readonly artifacts = new Map<string, Buffer>();
  readonly experiments = new Map<string, ExperimentState>();
  readonly runs = new Map<string, RunState>();
  readonly models = new Map<string, ModelState>();
  private readonly faults: Fault[] = [];
  private nextExperimentId = 1;
  private server!: Server;
  uri = '';

  private constructor(private readonly options: DoubleOptions) {
    this.experiments.set('0', this.newExperiment('0', 'Default'));
  }

  static async start(options: DoubleOptions = {}): Promise<MlflowDouble> {
    const double = new MlflowDouble(options);
    double.server = createServer((req, res) => {
      double.handle(req, res).catch((err) => {
        res.writeHead(500, { 'Content-Type': 'text/html' }).end(`<h1>Internal Server Error</h1>${String(err)}`);
      });
    });
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.uri = `http://127.0.0.1:${(double.server.address() as AddressInfo).port}`;
    return double;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** Requests to a path (without query), in order. */
  calls(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  private newExperiment(id: string, name: string, owner?: string, artifactLocation?: string): ExperimentState {
    const now = Date.now();
    const root = this.options.artifactRoot === 'mlflow-artifacts://host' ? 'mlflow-artifacts://127.0.0.1:5000/' : 'mlflow-artifacts:/';
    return {
      experiment_id: id,
      name,
      artifact_location: artifactLocation ?? `${root}${id}`,
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      tags: [],
      ...(owner ? { owner } : {}),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body });

    const fault = this.faults.find((f) => f.times > 0 && (!f.method || f.method === method) && (typeof f.path === 'string' ? f.path === url.pathname : f.path.test(url.pathname)));
    if (fault) {
      fault.times--;
      if (fault.reset) {
        req.socket.destroy();
        return;
      }
      const status = fault.status ?? 503;
      const code = status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : 'TEMPORARILY_UNAVAILABLE';
      res.writeHead(status, { 'Content-Type': 'application/json', ...(fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {}) });
      res.end(JSON.stringify({ error_code: code, message: `injected ${status}` }));
      return;
    }

    // mlflow/server/__init__.py: /health answers without authentication
    if (url.pathname === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
      return;
    }

    const user = this.authenticate(req);
    if (user === null) {
      // mlflow/server/auth/__init__.py: make_basic_auth_response
      res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8', 'WWW-Authenticate': 'Basic realm="mlflow"' });
      res.end('You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.');
      return;
    }

    const path = url.pathname.replace(/^\/ajax-api\//, '/api/');
    try {
      if (path === '/api/2.0/mlflow-artifacts/artifacts' || path.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
        this.artifactRoute(method, path, url.searchParams, body, user, res);
        return;
      }
      const route = ROUTES[`${method} ${path}`];
      if (!route) {
        const known = Object.keys(ROUTES).some((k) => k.endsWith(` ${path}`));
        // Flask: 405 for a known route with another method, 404 otherwise (HTML bodies)
        res.writeHead(known ? 405 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(known ? '<title>405 Method Not Allowed</title>' : '<title>404 Not Found</title><h1>Not Found</h1>');
        return;
      }
      const input = method === 'GET' ? undefined : this.jsonBody(req, method, body);
      const result = route.call(this, { query: url.searchParams, body: input ?? {}, raw: body, user });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(result, null, 2));
    } catch (err) {
      if (err instanceof PermissionDenied) {
        // mlflow/server/auth/__init__.py: make_forbidden_response
        res.writeHead(403, { 'Content-Type': 'text/html; charset=utf-8' }).end('Permission denied');
        return;
      }
      if (!(err instanceof MlflowException)) throw err;
      res.writeHead(STATUS[err.errorCode] ?? 500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error_code: err.errorCode, message: err.message }));
    }
  }

  /** The user behind a Basic header, `undefined` when auth is off, `null` when it fails. */
  private authenticate(req: IncomingMessage): { username: string; admin: boolean } | undefined | null {
    const users = this.options.users;
    if (!users?.length) return undefined;
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(header);
    if (!m) return null;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const found = users.find((u) => u.username === username && u.password === password);
    return found ? { username, admin: found.admin ?? found === users[0] } : null;
  }

  /** mlflow/server/auth/__init__.py: creators get MANAGE, everyone else default_permission (READ); admins pass every check. */
  private require(user: Caller, owner: string | undefined, needed: Permission): void {
    if (!user || user.admin || owner === user.username || needed === 'READ') return;
    throw new PermissionDenied();
  }

  /** mlflow/server/validation.py + handlers._get_request_json: POST/PUT need application/json; the body is parsed leniently. */
  private jsonBody(req: IncomingMessage, method: string, body: Buffer): Record<string, unknown> {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if ((method === 'POST' || method === 'PUT') && contentType !== 'application/json') {
      throw invalid(`Bad Request. Content-Type must be one of [application/json].${contentType ? ` Got '${contentType}'.` : ''}`);
    }
    if (body.length === 0) return {};
    try {
      let parsed = JSON.parse(body.toString('utf8')) as unknown;
      if (typeof parsed === 'string') parsed = JSON.parse(parsed);
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  private artifactRoute(method: string, path: string, query: URLSearchParams, body: Buffer, user: Caller, res: ServerResponse): void {
    if (this.options.serveArtifacts === false) {
      // handlers._disable_unless_serve_artifacts: plain-text 503
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`Endpoint: ${path} disabled due to the mlflow server running with \`--no-serve-artifacts\`. To enable artifacts server functionality, run \`mlflow server\` with \`--serve-artifacts\``);
      return;
    }
    const experimentOwner = (p: string) => this.experiments.get(p.split('/')[0])?.owner;
    if (path === '/api/2.0/mlflow-artifacts/artifacts') {
      if (method !== 'GET') throw invalid(`unsupported method ${method}`);
      // handlers._list_artifacts_mlflow_artifacts: direct children, base names only
      const dir = query.has('path') ? safePath(query.get('path')!) : '';
      const prefix = dir ? `${dir.replace(/\/+$/, '')}/` : '';
      const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
      for (const [key, data] of this.artifacts) {
        if (!key.startsWith(prefix)) continue;
        const rest = key.slice(prefix.length);
        const [head, ...tail] = rest.split('/');
        entries.set(head, tail.length ? { path: head, is_dir: true } : { path: head, is_dir: false, file_size: data.length });
      }
      const files = [...entries.values()].sort((a, b) => a.path.localeCompare(b.path));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(files.length ? { files } : {}));
      return;
    }
    const artifactPath = safePath(path.slice('/api/2.0/mlflow-artifacts/artifacts/'.length));
    if (method === 'PUT') {
      this.require(user, experimentOwner(artifactPath), 'EDIT');
      this.artifacts.set(artifactPath, body);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    if (method === 'GET') {
      const data = this.artifacts.get(artifactPath);
      if (!data) {
        // The artifact repository raises a non-MLflow error (e.g. botocore 404): Flask answers 500.
        res.writeHead(500, { 'Content-Type': 'text/html; charset=utf-8' }).end('<title>500 Internal Server Error</title>');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename=${posix.basename(artifactPath)}` });
      res.end(data);
      return;
    }
    throw invalid(`unsupported method ${method}`);
  }

  // Tracking

  createExperiment({ body, user }: Call) {
    const name = requiredString(body, 'name');
    if (name.length > 500) throw invalid('Experiment name exceeds the maximum length of 500 characters');
    if ([...this.experiments.values()].some((e) => e.name === name)) {
      throw new MlflowException(`Experiment(name=${name}) already exists. Error: (raised by the double)`, 'RESOURCE_ALREADY_EXISTS');
    }
    const id = String(this.nextExperimentId++);
    const location = typeof body.artifact_location === 'string' && body.artifact_location ? body.artifact_location : undefined;
    const experiment = this.newExperiment(id, name, user?.username, location);
    experiment.tags = keyValues(body.tags, 'tags');
    this.experiments.set(id, experiment);
    return { experiment_id: id };
  }

  getExperimentByName({ query }: Call) {
    const name = query.get('experiment_name');
    if (!name) throw missing('experiment_name');
    const experiment = [...this.experiments.values()].find((e) => e.name === name);
    if (!experiment) throw notFound(`Could not find experiment with name '${name}'`);
    const { owner: _owner, tags, ...rest } = experiment;
    return { experiment: { ...rest, ...(tags.length ? { tags } : {}) } };
  }

  createRun({ body, user }: Call) {
    const experimentId = optionalString(body, 'experiment_id') ?? '0';
    const experiment = this.experiments.get(experimentId);
    if (!experiment) throw notFound(`No Experiment with id=${experimentId} exists`);
    this.require(user, experiment.owner, 'EDIT');
    const tags = new Map(keyValues(body.tags, 'tags').map((t) => [t.key, t.value]));
    const requested = optionalString(body, 'run_name');
    const tagged = tags.get('mlflow.runName');
    if (requested && tagged && requested !== tagged) {
      throw invalid(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${requested}', mlflow.runName='${tagged}').`);
    }
    const runName = requested ?? tagged ?? `${ADJECTIVES[this.runs.size % 4]}-${NOUNS[this.runs.size % 4]}-${100 + this.runs.size}`;
    tags.set('mlflow.runName', runName);
    const runId = randomBytes(16).toString('hex');
    const startTime = body.start_time === undefined ? Date.now() : Number(body.start_time);
    const run: RunState = {
      info: {
        run_id: runId,
        run_uuid: runId,
        run_name: runName,
        experiment_id: experimentId,
        user_id: optionalString(body, 'user_id') ?? '',
        status: 'RUNNING',
        start_time: startTime,
        artifact_uri: `${experiment.artifact_location}/${runId}/artifacts`,
        lifecycle_stage: 'active',
      },
      metrics: [],
      params: new Map(),
      tags,
    };
    this.runs.set(runId, run);
    return { run: this.runJson(run) };
  }

  getRun({ query }: Call) {
    const runId = query.get('run_id') ?? query.get('run_uuid');
    if (!runId) throw missing('run_id');
    return { run: this.runJson(this.findRun(runId)) };
  }

  logBatch({ body, raw, user }: Call) {
    // utils/validation._validate_batch_log_api_req, with the documented 1 MB request limit
    if (raw.length > LIMITS.bytes) throw invalid(`Batched logging API requests must be at most ${LIMITS.bytes} bytes, got a request of size ${raw.length}.`);
    const runId = requiredString(body, 'run_id');
    const metrics = arrayField(body, 'metrics') as Record<string, unknown>[];
    const params = arrayField(body, 'params') as Record<string, unknown>[];
    const tags = arrayField(body, 'tags') as Record<string, unknown>[];
    metrics.forEach((m, i) => ['key', 'value', 'timestamp'].forEach((f) => (m?.[f] === undefined || m?.[f] === '' ? fail(missingPath(`metrics[${i}].${f}`)) : 0)));
    params.forEach((p, i) => (p?.key === undefined || p?.key === '' ? fail(missingPath(`params[${i}].key`)) : 0));
    tags.forEach((t, i) => (t?.key === undefined || t?.key === '' ? fail(missingPath(`tags[${i}].key`)) : 0));
    // store.log_batch: run id, entity validation, limits, unique params, then the run
    if (!RUN_ID.test(runId)) throw invalid(`Invalid run ID: '${runId}'`);
    for (const m of metrics) {
      validateName('Metric', m.key);
      if (typeof m.value !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(String(m.value))) {
        throw invalid(`Got invalid value ${String(m.value)} for metric '${String(m.key)}' (timestamp=${String(m.timestamp)}). Please specify value as a valid double (64-bit floating point)`);
      }
      if (typeof m.timestamp !== 'number' || m.timestamp < 0) {
        throw invalid(`Got invalid timestamp ${String(m.timestamp)} for metric '${String(m.key)}' (value=${String(m.value)}). Timestamp must be a nonnegative long (64-bit integer) `);
      }
      validateLength('Metric name', LIMITS.key, String(m.key));
    }
    for (const p of params) {
      validateName('Parameter', p.key);
      validateLength('Param key', LIMITS.key, String(p.key));
      validateLength('Param value', LIMITS.paramValue, String(p.value ?? ''));
    }
    for (const t of tags) {
      validateName('Tag', t.key);
      validateLength('Tag key', LIMITS.key, String(t.key));
      validateLength('Tag value', LIMITS.tagValue, String(t.value ?? ''));
    }
    batchLimit('metrics', LIMITS.metrics, metrics.length);
    batchLimit('params', LIMITS.params, params.length);
    batchLimit('tags', LIMITS.tags, tags.length);
    batchLimit('metrics, params, and tags', LIMITS.total, metrics.length + params.length + tags.length);
    const keys = params.map((p) => String(p.key));
    const dupes = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (dupes.length) {
      throw invalid(`Duplicate parameter keys have been submitted: [${dupes.map((d) => `'${d}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`);
    }
    const run = this.findRun(runId);
    this.require(user, this.experiments.get(run.info.experiment_id)?.owner, 'EDIT');
    if (run.info.lifecycle_stage !== 'active') throw invalid(`The run ${runId} must be in the 'active' state. Current state is ${run.info.lifecycle_stage}.`);
    const changed = params.filter((p) => run.params.has(String(p.key)) && run.params.get(String(p.key)) !== String(p.value ?? ''));
    if (changed.length) {
      const detail = changed.map((p) => `{'key': '${String(p.key)}', 'old_value': '${run.params.get(String(p.key))}', 'new_value': '${String(p.value ?? '')}'}`);
      throw invalid(`Changing param values is not allowed. Params were already logged='[${detail.join(', ')}]' for run ID='${runId}'.`);
    }
    for (const p of params) run.params.set(String(p.key), String(p.value ?? ''));
    for (const t of tags) run.tags.set(String(t.key), String(t.value ?? ''));
    for (const m of metrics) run.metrics.push({ key: String(m.key), value: Number(m.value), timestamp: Number(m.timestamp), step: Number(m.step ?? 0) });
    return {};
  }

  updateRun({ body, user }: Call) {
    const runId = optionalString(body, 'run_id') ?? optionalString(body, 'run_uuid');
    if (!runId) throw missing('run_id');
    const run = this.findRun(runId);
    this.require(user, this.experiments.get(run.info.experiment_id)?.owner, 'EDIT');
    if (body.status !== undefined) {
      if (!RUN_STATUSES.has(String(body.status))) throw invalid(`Invalid value ${JSON.stringify(body.status)} for parameter 'status' supplied.`);
      run.info.status = String(body.status);
    }
    if (body.end_time !== undefined) run.info.end_time = Number(body.end_time);
    const runName = optionalString(body, 'run_name');
    if (runName) {
      run.info.run_name = runName;
      run.tags.set('mlflow.runName', runName);
    }
    return { run_info: run.info };
  }

  private findRun(runId: string): RunState {
    const run = this.runs.get(runId);
    if (!run) throw notFound(`Run with id=${runId} not found`);
    return run;
  }

  private runJson(run: RunState) {
    const tags = [...run.tags].map(([key, value]) => ({ key, value }));
    const params = [...run.params].map(([key, value]) => ({ key, value }));
    // latest value per metric key, as Run.data.metrics holds
    const latest = new Map<string, RunState['metrics'][number]>();
    for (const m of run.metrics) {
      const prev = latest.get(m.key);
      if (!prev || m.step > prev.step || (m.step === prev.step && m.timestamp >= prev.timestamp)) latest.set(m.key, m);
    }
    const data = {
      ...(latest.size ? { metrics: [...latest.values()] } : {}),
      ...(params.length ? { params } : {}),
      ...(tags.length ? { tags } : {}),
    };
    return { info: run.info, data, inputs: {} };
  }

  // Model registry

  createRegisteredModel({ body, user }: Call) {
    const name = requiredString(body, 'name');
    if (this.models.has(name)) {
      throw new MlflowException(`Registered Model (name=${name}) already exists. Error: (raised by the double)`, 'RESOURCE_ALREADY_EXISTS');
    }
    const now = Date.now();
    const model: ModelState = {
      name,
      creation_timestamp: now,
      last_updated_timestamp: now,
      ...(typeof body.description === 'string' && body.description ? { description: body.description } : {}),
      tags: keyValues(body.tags, 'tags'),
      versions: [],
      aliases: new Map(),
      ...(user ? { owner: user.username } : {}),
    };
    this.models.set(name, model);
    return { registered_model: this.modelJson(model) };
  }

  getRegisteredModel({ query }: Call) {
    return { registered_model: this.modelJson(this.findModel(requiredQuery(query, 'name'))) };
  }

  /** search_registered_models: ordered by name ASC, pages of max_results (default 100, at most 1000). */
  searchRegisteredModels({ query }: Call) {
    const max = maxResults(query, 100, 1000);
    const name = nameFromFilter(query.get('filter'));
    const all = [...this.models.values()].filter((m) => name === undefined || m.name === name).sort((a, b) => a.name.localeCompare(b.name));
    const offset = pageOffset(query.get('page_token'));
    const page = all.slice(offset, offset + max);
    return {
      ...(page.length ? { registered_models: page.map((m) => this.modelJson(m)) } : {}),
      ...(offset + max < all.length ? { next_page_token: pageToken(offset + max) } : {}),
    };
  }

  createModelVersion({ body, user }: Call) {
    const name = requiredString(body, 'name');
    const source = requiredString(body, 'source');
    const runId = optionalString(body, 'run_id');
    // handlers._validate_source_run: local sources only inside the run's (local) artifact root; no relative references
    if (source.startsWith('/') || source.startsWith('file:')) {
      throw invalid(`Invalid model version source: '${source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`);
    }
    if (decodeURIComponent(source).split('/').includes('..')) {
      throw invalid(`Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`);
    }
    const model = this.findModel(name);
    this.require(user, model.owner, 'EDIT');
    if (runId) this.findRun(runId);
    // sqlalchemy_store.create_model_version: a models:/ source is stored resolved to its storage location
    let storage = source;
    const ref = /^models:\/([^/@]+)\/(\d+)$/.exec(source);
    if (ref) storage = this.findVersion(ref[1], ref[2]).storage_location;
    const now = Date.now();
    // The store sets no user_id on versions (create_model_version takes none), so none is answered.
    const version: VersionState = {
      name,
      version: String((model.versions.at(-1) ? Number(model.versions.at(-1)!.version) : 0) + 1),
      creation_timestamp: now,
      last_updated_timestamp: now,
      current_stage: 'None',
      description: optionalString(body, 'description') ?? '',
      source,
      run_id: runId ?? '',
      status: (this.options.pendingGets ?? 0) > 0 ? 'PENDING_REGISTRATION' : 'READY',
      tags: keyValues(body.tags, 'tags'),
      run_link: optionalString(body, 'run_link') ?? '',
      storage_location: storage,
      pendingGets: this.options.pendingGets ?? 0,
    };
    model.versions.push(version);
    model.last_updated_timestamp = now;
    // create_model_version: _populate_model_version_aliases (none yet for a new version)
    return { model_version: this.versionJson(version, model) };
  }

  getModelVersion({ query }: Call) {
    const name = requiredQuery(query, 'name');
    const v = this.findVersion(name, requiredQuery(query, 'version'));
    if (v.status === 'PENDING_REGISTRATION' && --v.pendingGets <= 0) v.status = 'READY';
    // get_model_version: _populate_model_version_aliases
    return { model_version: this.versionJson(v, this.findModel(name)) };
  }

  /**
   * search_model_versions: default order last_updated_timestamp DESC, name ASC,
   * version DESC; each version is SqlModelVersion.to_mlflow_entity(), whose
   * aliases are always [] (so absent from the JSON), whatever aliases point at it.
   */
  searchModelVersions({ query }: Call) {
    const max = maxResults(query, 200_000, 200_000);
    const name = nameFromFilter(query.get('filter'));
    const all = [...this.models.values()]
      .filter((m) => name === undefined || m.name === name)
      .flatMap((m) => m.versions.map((v) => ({ m, v })))
      .sort((a, b) => b.v.last_updated_timestamp - a.v.last_updated_timestamp || a.m.name.localeCompare(b.m.name) || Number(b.v.version) - Number(a.v.version));
    const offset = pageOffset(query.get('page_token'));
    const page = all.slice(offset, offset + max);
    return {
      ...(page.length ? { model_versions: page.map(({ v }) => this.versionJson(v)) } : {}),
      ...(offset + max < all.length ? { next_page_token: pageToken(offset + max) } : {}),
    };
  }

  getModelVersionDownloadUri({ query }: Call) {
    return { artifact_uri: this.findVersion(requiredQuery(query, 'name'), requiredQuery(query, 'version')).storage_location };
  }

  setAlias({ body, user }: Call) {
    const name = requiredString(body, 'name');
    const alias = requiredString(body, 'alias');
    const version = requiredString(body, 'version');
    // utils/validation._validate_model_alias_name
    if (!ALIAS.test(alias)) throw invalid(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
    if (alias.length > 255) throw invalid(`Registered model alias name '${alias.slice(0, 250)}' had length ${alias.length}, which exceeded length limit of 255`);
    if (alias.toLowerCase() === 'latest') throw invalid("'latest' alias name (case insensitive) is reserved.");
    if (/^[vV]\d+$/.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
    const model = this.findModel(name);
    this.require(user, model.owner, 'EDIT');
    this.findVersion(name, version);
    model.aliases.set(alias, version);
    return {};
  }

  getByAlias({ query }: Call) {
    const name = requiredQuery(query, 'name');
    const alias = requiredQuery(query, 'alias');
    const model = this.findModel(name);
    const version = model.aliases.get(alias);
    // model_registry/sqlalchemy_store.get_model_version_by_alias: a missing alias is INVALID_PARAMETER_VALUE (400)
    if (version === undefined) throw invalid(`Registered model alias ${alias} not found.`);
    // get_model_version_by_alias: _populate_model_version_aliases
    return { model_version: this.versionJson(this.findVersion(name, version), model) };
  }

  deleteAlias({ body, user }: Call) {
    const name = requiredString(body, 'name');
    const alias = requiredString(body, 'alias');
    const model = this.findModel(name);
    this.require(user, model.owner, 'EDIT');
    model.aliases.delete(alias);
    return {};
  }

  private findModel(name: string): ModelState {
    const model = this.models.get(name);
    if (!model) throw notFound(`Registered Model with name=${name} not found`);
    return model;
  }

  private findVersion(name: string, version: string): VersionState {
    if (!/^-?\d+$/.test(version)) throw invalid(`Model version must be an integer, got '${version}'`);
    const found = this.findModel(name).versions.find((v) => v.version === String(Number(version)));
    if (!found) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return found;
  }

  /**
   * ModelVersion.to_proto, in proto field order. `withAliasesOf` is given only
   * where the store calls _populate_model_version_aliases (create, get, get by
   * alias); everywhere else (search, latest_versions) aliases is [] and absent.
   */
  private versionJson(v: VersionState, withAliasesOf?: ModelState) {
    const aliases = withAliasesOf ? [...withAliasesOf.aliases].filter(([, ver]) => ver === v.version).map(([a]) => a) : [];
    return {
      name: v.name,
      version: v.version,
      creation_timestamp: v.creation_timestamp,
      last_updated_timestamp: v.last_updated_timestamp,
      current_stage: v.current_stage,
      description: v.description,
      source: v.source,
      run_id: v.run_id,
      status: v.status,
      ...(v.status_message ? { status_message: v.status_message } : {}),
      ...(v.tags.length ? { tags: v.tags } : {}),
      run_link: v.run_link,
      ...(aliases.length ? { aliases } : {}),
    };
  }

  /**
   * RegisteredModel.to_proto of SqlRegisteredModel.to_mlflow_entity(): no
   * user_id; description only when non-empty; latest_versions is the highest
   * version in each stage (whatever its status), built without aliases; the
   * model's aliases as {alias, version} with the version a string.
   */
  private modelJson(model: ModelState) {
    const latestByStage = new Map<string, VersionState>();
    for (const v of model.versions) {
      const prev = latestByStage.get(v.current_stage);
      if (!prev || Number(prev.version) < Number(v.version)) latestByStage.set(v.current_stage, v);
    }
    const aliases = [...model.aliases].map(([alias, version]) => ({ alias, version }));
    return {
      name: model.name,
      creation_timestamp: model.creation_timestamp,
      last_updated_timestamp: model.last_updated_timestamp,
      ...(model.description ? { description: model.description } : {}),
      ...(latestByStage.size ? { latest_versions: [...latestByStage.values()].map((v) => this.versionJson(v)) } : {}),
      ...(model.tags.length ? { tags: model.tags } : {}),
      ...(aliases.length ? { aliases } : {}),
    };
  }
}

type Caller = { username: string; admin: boolean } | undefined;

interface Call {
  query: URLSearchParams;
  body: Record<string, unknown>;
  raw: Buffer;
  user: Caller;
}

class PermissionDenied extends MlflowException {
  constructor() {
    super('Permission denied', 'PERMISSION_DENIED');
  }
}

function fail(err: Error): never {
  throw err;
}

const missingPath = (path: string) => invalid(`Missing value for required parameter '${path}'. See the API docs for more information about request parameters.`);

function requiredString(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (v === undefined || v === null || v === '') throw missing(name);
  if (typeof v !== 'string') {
    throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied. Hint: Value was of type '${typeof v}'. See the API docs for more information about request parameters.`);
  }
  return v;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') {
    throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied. Hint: Value was of type '${typeof v}'. See the API docs for more information about request parameters.`);
  }
  return v;
}

/**
 * max_results of a search: the handler's schema (_assert_intlike, then
 * _assert_less_than_or_equal) answers a bad value with invalid_value's wording;
 * the store refuses anything below 1.
 */
function maxResults(query: URLSearchParams, byDefault: number, limit: number): number {
  const raw = query.get('max_results');
  if (raw === null) return byDefault;
  const n = Number(raw);
  // utils/validation.invalid_value: `supplied: ${message}`, the hint starting with a space
  if (!Number.isInteger(n) || n > limit) {
    throw invalid(`Invalid value "${raw}" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`);
  }
  if (n < 1) throw invalid(`Invalid value for max_results. It must be a positive integer, but got ${n}`);
  return n;
}

function requiredQuery(query: URLSearchParams, name: string): string {
  const v = query.get(name);
  if (!v) throw missing(name);
  return v;
}

function arrayField(body: Record<string, unknown>, name: string): unknown[] {
  const v = body[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied. See the API docs for more information about request parameters.`);
  return v;
}

function keyValues(v: unknown, name: string): { key: string; value: string }[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied.`);
  return v.map((t: { key?: unknown; value?: unknown }) => ({ key: String(t.key), value: String(t.value ?? '') }));
}

type Handler = (this: MlflowDouble, call: Call) => unknown;

const p = MlflowDouble.prototype;
const ROUTES: Record<string, Handler> = {
  'GET /api/2.0/mlflow/experiments/get-by-name': p.getExperimentByName,
  'POST /api/2.0/mlflow/experiments/create': p.createExperiment,
  'POST /api/2.0/mlflow/runs/create': p.createRun,
  'GET /api/2.0/mlflow/runs/get': p.getRun,
  'POST /api/2.0/mlflow/runs/log-batch': p.logBatch,
  'POST /api/2.0/mlflow/runs/update': p.updateRun,
  'POST /api/2.0/mlflow/registered-models/create': p.createRegisteredModel,
  'GET /api/2.0/mlflow/registered-models/get': p.getRegisteredModel,
  'GET /api/2.0/mlflow/registered-models/search': p.searchRegisteredModels,
  'POST /api/2.0/mlflow/model-versions/create': p.createModelVersion,
  'GET /api/2.0/mlflow/model-versions/get': p.getModelVersion,
  'GET /api/2.0/mlflow/model-versions/search': p.searchModelVersions,
  'GET /api/2.0/mlflow/model-versions/get-download-uri': p.getModelVersionDownloadUri,
  'POST /api/2.0/mlflow/registered-models/alias': p.setAlias,
  'GET /api/2.0/mlflow/registered-models/alias': p.getByAlias,
  'DELETE /api/2.0/mlflow/registered-models/alias': p.deleteAlias,
};
