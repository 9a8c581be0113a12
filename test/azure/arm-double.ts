/**
 * A local stand-in for the parts of Azure the CLI talks to: Resource Manager's
 * Azure ML routes (with long-running operations answered the way ARM answers
 * them: 201 + Azure-AsyncOperation for PUT, 202 + Location for DELETE), the
 * endpoint's scoring URI (the blob service is azurite: test/helpers/azurite.ts). HTTPS on 127.0.0.1 with a
 * throwaway self-signed certificate, because the Azure SDK refuses to send a
 * bearer token over plain HTTP.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';

export const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
export const RESOURCE_GROUP = 'rktest-rg';
export const WORKSPACE = 'rktest-mlw';
export const TOKENS: Record<string, string> = {
  'https://management.azure.com/.default': 'arm-token',
  'https://storage.azure.com/.default': 'storage-token',
  'https://ml.azure.com/.default': 'ml-token',
};

/** A credential object like DefaultAzureCredential, minus the login. */
export class FakeCredential implements TokenCredential {
  readonly scopes: string[] = [];
  constructor(private readonly fail?: Error) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes[0] : scopes;
    this.scopes.push(scope);
    if (this.fail) throw this.fail;
    return { token: TOKENS[scope] ?? `token-for-${scope}`, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Deployment {
  body: any;
  state: string;
  /** GETs left before provisioning finishes. */
  pending: number;
  outcome: 'Succeeded' | 'Failed';
  createdAt: string;
}

interface Operation {
  polls: number;
  done: () => void;
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rookery-arm-double-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

let certificate: { key: string; cert: string } | undefined;

export class ArmDouble {
  readonly requests: RecordedRequest[] = [];
  readonly endpoints = new Map<string, { authMode: string; traffic: Record<string, number>; location: string; identity: any; description?: string }>();
  readonly deployments = new Map<string, Deployment>();
  readonly models = new Map<string, any>();
  readonly keys = { primaryKey: 'primary-endpoint-key', secondaryKey: 'secondary-endpoint-key' };
  /** Deployment names whose provisioning ends Failed. */
  readonly failProvisioning = new Set<string>();
  /** Deployment names whose container answers scoring requests with an error. */
  readonly brokenScoring = new Set<string>();
  /** GETs a new deployment stays in Creating. */
  provisioningPolls = 2;
  /** Command jobs by name: the body PUT, and the statuses its next GETs show (the last one stays). */
  readonly jobs = new Map<string, { body: any; statuses: string[]; services: Record<string, any> }>();
  /** The statuses each new job goes through, one per GET. */
  jobStatuses = ['NotStarted', 'Queued', 'Running', 'Completed'];
  /** Services a job shows once its statuses run out (where Azure ML reports a job's errors). */
  jobServices: Record<string, any> = { Studio: { jobServiceType: 'Studio', endpoint: 'https://ml.azure.com/runs/JOB' } };
  /** Newest versions first, as `$orderBy=createdtime desc` lists them: `models/NAME` or `environments/NAME` to version names. */
  readonly versions = new Map<string, string[]>([['models/penguins', ['4', '3']], ['environments/rookery-serve', ['0a1b2c3d4e5f']]]);
  /** Status codes the next requests to a path get, to emulate Azure refusing. */
  readonly refuse = new Map<string, number>();
  readonly served: string[] = [];
  private readonly operations = new Map<string, Operation>();
  private nextOperation = 1;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly ca: string,
  ) {}

  static async start(): Promise<ArmDouble> {
    certificate ??= selfSignedCertificate();
    let double!: ArmDouble;
    const server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
      double.handle(req, res).catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'DoubleFailure', message: err.message } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    double = new ArmDouble(server, `https://127.0.0.1:${port}`, certificate.cert);
    return double;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get workspacePrefix(): string {
    return `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
  }

  /** An endpoint with one live deployment, as `cdktf deploy azure` leaves it. */
  seedEndpoint(name: string, live = 'blue', deploymentBody?: any): void {
    this.endpoints.set(name, {
      authMode: 'Key',
      traffic: { [live]: 100 },
      location: 'eastus',
      identity: { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/x/uai': { principalId: 'p', clientId: 'c' } } },
      description: 'rookery penguins classifier',
    });
    this.deployments.set(`${name}/${live}`, {
      body: deploymentBody ?? {
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        tags: { app: 'rookery' },
        properties: {
          endpointComputeType: 'Managed',
          instanceType: 'Standard_DS3_v2',
          model: `${this.workspacePrefix}/models/penguins/versions/3`,
          environmentId: `${this.workspacePrefix}/environments/rookery-serve/versions/abc`,
          readinessProbe: { initialDelay: 'PT1S', period: 'PT5S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 12 },
          dataCollector: { collections: { request: { dataCollectionMode: 'Enabled', samplingRate: 1 } }, rollingRate: 'Hour' },
        },
      },
      state: 'Succeeded',
      pending: 0,
      outcome: 'Succeeded',
      createdAt: '2026-01-01T00:00:00Z',
    });
  }

  armRequests(method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith('/subscriptions/') && (!method || r.method === method));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: raw.toString('utf8') };
    this.requests.push(record);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const armError = (status: number, code: string, message: string) => send(status, { error: { code, message } });

    const refused = this.refuse.get(url.pathname);
    if (refused) return armError(refused, 'AuthorizationFailed', 'The client does not have authorization to perform this action.');

    if (url.pathname === '/score') return this.score(req, record, send);
    if (req.headers.authorization !== `Bearer ${TOKENS['https://management.azure.com/.default']}`) {
      return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
    if (url.pathname.startsWith('/operations/') || url.pathname.startsWith('/locations/')) return this.operation(url, send);
    if (url.searchParams.get('api-version') !== '2026-05-01') return armError(400, 'InvalidApiVersionParameter', `api-version ${url.searchParams.get('api-version')}`);
    if (!url.pathname.startsWith(this.workspacePrefix)) return armError(404, 'ResourceGroupNotFound', `${url.pathname} is not in the test workspace`);

    const rest = url.pathname.slice(this.workspacePrefix.length).split('/').filter(Boolean);
    const method = req.method;
    const body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;

    if (rest[0] === 'onlineEndpoints' && rest.length >= 2) {
      const name = rest[1];
      const endpoint = this.endpoints.get(name);
      if (!endpoint) return armError(404, 'ResourceNotFound', `online endpoint ${name} does not exist`);
      if (rest.length === 2 && method === 'GET') return send(200, this.endpointJson(name));
      if (rest.length === 2 && method === 'PUT') {
        const traffic: Record<string, number> = body?.properties?.traffic ?? {};
        const total = Object.values(traffic).reduce((a, b) => a + b, 0);
        if (Object.keys(traffic).length && total !== 100) return armError(400, 'BadArgument', `traffic sums to ${total}`);
        for (const d of Object.keys(traffic)) if (!this.deployments.has(`${name}/${d}`)) return armError(400, 'BadArgument', `deployment ${d} does not exist`);
        if (body?.properties?.authMode !== endpoint.authMode) return armError(400, 'BadArgument', 'authMode is required and cannot change');
        endpoint.traffic = traffic;
        return send(201, this.endpointJson(name), { 'azure-asyncoperation': this.startOperation(() => {}, 'operations') });
      }
      if (rest.length === 3 && rest[2] === 'listKeys' && method === 'POST') return send(200, this.keys);
      if (rest.length === 3 && rest[2] === 'token' && method === 'POST') return send(200, { accessToken: 'aml-token', expiryTimeUtc: 0 });
      if (rest[2] === 'deployments' && rest.length >= 4) return this.deployment(name, rest[3], rest[4], method, body, send, armError);
    }
    if (rest[0] === 'datastores' && rest.length === 2 && method === 'GET') {
      if (rest[1] !== 'rookery_models') return armError(404, 'UserError', `datastore ${rest[1]} not found`);
      return send(200, {
        id: url.pathname,
        name: rest[1],
        properties: { datastoreType: 'AzureBlob', accountName: 'rkteststorage', containerName: 'rookery-models', endpoint: 'core.windows.net', protocol: 'https', credentials: { credentialsType: 'None' } },
      });
    }
    if (rest[0] === 'models' && rest[2] === 'versions' && rest.length === 4) {
      const key = `${rest[1]}:${rest[3]}`;
      if (method === 'GET') return this.models.has(key) ? send(200, this.models.get(key)) : armError(404, 'UserError', `model ${key} not found`);
      if (method === 'PUT') {
        if (this.models.has(key)) return armError(409, 'UserError', 'model versions are immutable');
        this.models.set(key, { id: url.pathname, name: rest[3], properties: body.properties });
        return send(201, this.models.get(key));
      }
    }
    if (rest[0] === 'jobs' && rest.length >= 2) return this.job(rest[1], rest[2], method, body, send, armError);
    if ((rest[0] === 'models' || rest[0] === 'environments') && rest[2] === 'versions' && rest.length === 3 && method === 'GET') {
      const names = this.versions.get(`${rest[0]}/${rest[1]}`);
      if (!names) return armError(404, 'UserError', `${rest[0]} ${rest[1]} not found`);
      const top = Number(url.searchParams.get('$top') ?? names.length);
      const ordered = url.searchParams.get('$orderBy') === 'createdtime desc' ? names : [...names].reverse();
      return send(200, { value: ordered.slice(0, top).map((name) => ({ id: `${url.pathname}/${name}`, name, properties: {} })) });
    }
    return armError(404, 'NotFound', `${method} ${url.pathname} is not emulated`);
  }

  /** Jobs as ARM has them: PUT creates (201, synchronous), GET shows the status, POST cancel is a long-running operation (202 + Location). */
  private job(name: string, action: string | undefined, method: string | undefined, body: any, send: any, armError: any) {
    const job = this.jobs.get(name);
    if (action === undefined && method === 'PUT') {
      if (job) return armError(409, 'UserError', `job ${name} already exists: a job name is used once`);
      if (!body?.properties?.jobType) return armError(400, 'UserError', 'properties.jobType is required');
      this.jobs.set(name, { body, statuses: [...this.jobStatuses], services: this.jobServices });
      return send(201, this.jobJson(name, 'NotStarted'));
    }
    if (!job) return armError(404, 'UserError', `job ${name} not found`);
    if (action === undefined && method === 'GET') return send(200, this.jobJson(name, job.statuses.length > 1 ? job.statuses.shift()! : job.statuses[0]));
    if (action === 'cancel' && method === 'POST') {
      job.statuses = ['CancelRequested', 'Canceled'];
      return send(202, undefined, { location: this.startOperation(() => {}, 'locations') });
    }
    return armError(405, 'MethodNotAllowed', `${method} on a job`);
  }

  /** The job as a GET answers it with this status. */
  jobJson(name: string, status: string) {
    const job = this.jobs.get(name)!;
    const ended = job.statuses.length <= 1;
    return {
      id: `${this.workspacePrefix}/jobs/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/jobs',
      properties: { ...job.body.properties, status, ...(ended ? { services: job.services } : {}) },
    };
  }

  private endpointJson(name: string) {
    const e = this.endpoints.get(name)!;
    return {
      id: `${this.workspacePrefix}/onlineEndpoints/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
      location: e.location,
      identity: e.identity,
      properties: { authMode: e.authMode, description: e.description, traffic: e.traffic, scoringUri: `${this.url}/score`, provisioningState: 'Succeeded' },
    };
  }

  private deploymentJson(endpoint: string, name: string) {
    const d = this.deployments.get(`${endpoint}/${name}`)!;
    return {
      ...d.body,
      id: `${this.workspacePrefix}/onlineEndpoints/${endpoint}/deployments/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
      properties: { ...d.body.properties, provisioningState: d.state },
      systemData: { createdAt: d.createdAt },
    };
  }

  private deployment(endpoint: string, name: string, action: string | undefined, method: string | undefined, body: any, send: any, armError: any) {
    const key = `${endpoint}/${name}`;
    const d = this.deployments.get(key);
    if (action === 'getLogs' && method === 'POST') return send(200, { content: `booting ${name}\nmodel failed to load: MLmodel not found\n` });
    if (method === 'GET') {
      if (!d) return armError(404, 'ResourceNotFound', `deployment ${name} does not exist`);
      if (d.state === 'Creating' && d.pending-- <= 0) d.state = d.outcome;
      return send(200, this.deploymentJson(endpoint, name));
    }
    if (method === 'PUT') {
      for (const required of ['location', 'properties']) if (!body?.[required]) return armError(400, 'BadArgument', `${required} is required`);
      if (body.properties.endpointComputeType !== 'Managed') return armError(400, 'BadArgument', 'endpointComputeType is required');
      this.deployments.set(key, {
        body,
        state: 'Creating',
        pending: this.provisioningPolls,
        outcome: this.failProvisioning.has(name) ? 'Failed' : 'Succeeded',
        createdAt: new Date().toISOString(),
      });
      return send(201, this.deploymentJson(endpoint, name), { 'azure-asyncoperation': this.startOperation(() => {}, 'operations') });
    }
    if (method === 'DELETE') {
      if (!d) return send(204);
      if ((this.endpoints.get(endpoint)?.traffic[name] ?? 0) > 0) return armError(400, 'BadArgument', `deployment ${name} still takes traffic`);
      return send(202, undefined, { location: this.startOperation(() => this.deployments.delete(key), 'locations') });
    }
    return armError(405, 'MethodNotAllowed', `${method} on a deployment`);
  }

  private startOperation(done: () => void, kind: 'operations' | 'locations'): string {
    const id = String(this.nextOperation++);
    this.operations.set(id, { polls: 1, done });
    return `${this.url}/${kind}/${id}?api-version=2026-05-01`;
  }

  private operation(url: URL, send: any) {
    const [, kind, id] = url.pathname.split('/');
    const op = this.operations.get(id);
    if (!op) return send(404, { error: { code: 'NotFound', message: `operation ${id}` } });
    if (op.polls-- > 0) {
      return kind === 'locations' ? send(202, undefined, { location: `${this.url}${url.pathname}${url.search}`, 'retry-after': '0' }) : send(200, { status: 'InProgress' }, { 'retry-after': '0' });
    }
    op.done();
    return kind === 'locations' ? send(204) : send(200, { status: 'Succeeded' });
  }

  private score(req: IncomingMessage, record: RecordedRequest, send: any) {
    if (req.headers.authorization !== `Bearer ${this.keys.primaryKey}`) return send(401, { message: 'key auth failed' });
    const endpoint = [...this.endpoints.values()][0];
    const pinned = req.headers['azureml-model-deployment'] as string | undefined;
    const target = pinned ?? Object.entries(endpoint?.traffic ?? {}).sort((a, b) => b[1] - a[1])[0]?.[0];
    if (!target) return send(404, { message: 'no deployment takes traffic' });
    this.served.push(target);
    if (this.brokenScoring.has(target)) return send(424, { message: 'An unexpected error occurred in scoring script.' }, { 'ms-azureml-model-error-statuscode': '500' });
    const rows = (JSON.parse(record.body) as { dataframe_records?: unknown[] }).dataframe_records ?? [];
    return send(200, { predictions: rows.map(() => ({ prediction: 'Adelie', confidence: 0.97 })) }, { 'azureml-model-deployment': target });
  }
}
