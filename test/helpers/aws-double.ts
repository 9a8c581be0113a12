/**
 * Stand-ins for the little of AWS that moto_server (test/helpers/moto.ts)
 * does not implement or answers wrongly; CONTRIBUTING.md ("Test doubles")
 * lists each one, why, and how its answers are checked against the SDK's
 * service model (test/helpers/aws-model.ts).
 *
 * - SageMakerUpdateDouble: a proxy in front of moto's SageMaker (clients
 *   reach it through AWS_ENDPOINT_URL_SAGEMAKER or `endpoint`). Everything is
 *   forwarded to moto except UpdateEndpoint, which moto lacks (HTTP 500): the
 *   double runs the blue/green update itself, one stage per DescribeEndpoint,
 *   completing it or rolling it back, and patches moto's DescribeEndpoint
 *   answers while it runs and after (adding the Data Capture summary's
 *   CaptureStatus and CurrentSamplingPercentage, required members moto
 *   leaves out). It also corrects moto's DescribeModel, which always says
 *   EnableNetworkIsolation false and adds an empty VpcConfig that SageMaker
 *   never returns.
 * - SageMakerRuntimeDouble: InvokeEndpoint with a model container behind it.
 *   moto answers every invocation with canned data and never a ModelError.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How an UpdateEndpoint goes: each DescribeEndpoint afterwards shows the next stage. */
export type UpdatePlan = 'complete' | 'alarm';

/** An answer a double made itself, kept so a test can check it against the service model. */
export interface OwnAnswer {
  operation: string;
  body: unknown;
}

interface Stage {
  status: string;
  variantStatus?: string;
  weight?: [number, number];
  /** Final stages: the configuration the endpoint ends on, and why. */
  finalConfig?: 'new' | 'previous';
  failureReason?: string;
}

interface Update {
  configName: string;
  stages: Stage[];
  deploymentConfig: any;
  /** Set once the update ended. */
  status?: string;
  servedConfig?: string;
  failureReason?: string;
}

class SageMakerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** The stages SageMaker shows for a blue/green update that completes, or that a rollback alarm stops. */
function stagesFor(plan: UpdatePlan, alarms: string[]): Stage[] {
  if (plan === 'complete') {
    return [
      { status: 'Updating', variantStatus: 'Creating' },
      { status: 'Updating', variantStatus: 'ActivatingTraffic', weight: [0, 1] },
      { status: 'Updating', variantStatus: 'Baking', weight: [1, 1] },
      { status: 'InService', finalConfig: 'new' },
    ];
  }
  return [
    { status: 'Updating', variantStatus: 'Creating' },
    { status: 'Updating', variantStatus: 'Baking', weight: [1, 1] },
    { status: 'InService', finalConfig: 'previous', failureReason: `Deployment was rolled back because alarm(s) [${alarms[0]}] went into ALARM state.` },
  ];
}

export class SageMakerUpdateDouble {
  /** Every SageMaker call, as sent, forwarded or not. */
  readonly requests: { operation: string; body: any }[] = [];
  /** What the double answered or changed itself. */
  readonly answers: OwnAnswer[] = [];
  /** How the next UpdateEndpoint goes. */
  plan: UpdatePlan = 'complete';
  /** Called when a rollback alarm would fire (the test sets it in moto's CloudWatch). */
  onAlarm: (alarm: string) => Promise<void> = async () => {};
  url = '';
  private readonly updates = new Map<string, Update>();
  private readonly isolation = new Map<string, boolean>();
  private readonly sampling = new Map<string, number | undefined>();
  private server!: Server;

  private constructor(private readonly upstream: string) {}

  static async start(upstream: string): Promise<SageMakerUpdateDouble> {
    const double = new SageMakerUpdateDouble(upstream);
    double.server = createServer((req, res) => {
      double.handle(req, res).catch((err) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err?.stack ?? err)));
    });
    double.url = await listen(double.server);
    return double;
  }

  /** Forgets updates and requests (moto's own state is reset with moto). */
  reset(): void {
    this.requests.length = 0;
    this.answers.length = 0;
    this.updates.clear();
    this.isolation.clear();
    this.sampling.clear();
    this.plan = 'complete';
  }

  close(): Promise<void> {
    return close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^SageMaker\./, '');
    const input = JSON.parse(body.toString('utf8') || '{}');
    this.requests.push({ operation, body: input });
    try {
      if (operation === 'UpdateEndpoint') return this.answer(res, operation, await this.updateEndpoint(req, input));
      if (operation === 'CreateModel') this.isolation.set(input.ModelName, input.EnableNetworkIsolation === true);
      if (operation === 'CreateEndpointConfig') this.sampling.set(input.EndpointConfigName, input.DataCaptureConfig?.InitialSamplingPercentage);
      const upstream = await this.forward(req.headers, body);
      if (upstream.status === 200 && operation === 'DescribeEndpoint' && this.updates.has(input.EndpointName)) {
        return this.answer(res, operation, this.describeEndpoint(JSON.parse(upstream.text), this.updates.get(input.EndpointName)!));
      }
      if (upstream.status === 200 && operation === 'DescribeModel') return this.answer(res, operation, this.describeModel(JSON.parse(upstream.text)));
      res.writeHead(upstream.status, { 'Content-Type': upstream.type }).end(upstream.text);
    } catch (err) {
      if (!(err instanceof SageMakerError)) throw err;
      res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': err.code }).end(JSON.stringify({ __type: err.code, message: err.message }));
    }
  }

  private answer(res: ServerResponse, operation: string, body: unknown): void {
    this.answers.push({ operation, body });
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  }

  /** Sends a SageMaker call to moto with the caller's credentials and region (moto reads them from the Authorization header). */
  private async forward(from: IncomingHttpHeaders, body: Buffer, target = String(from['x-amz-target'] ?? '')): Promise<{ status: number; type: string; text: string }> {
    const headers: Record<string, string> = { 'x-amz-target': target };
    for (const name of ['authorization', 'content-type', 'x-amz-date', 'x-amz-security-token']) {
      if (from[name]) headers[name] = String(from[name]);
    }
    const res = await fetch(new URL('/', this.upstream), { method: 'POST', headers, body });
    return { status: res.status, type: res.headers.get('content-type') ?? 'application/x-amz-json-1.1', text: await res.text() };
  }

  /** Asks moto, with the caller's credentials and region, for one SageMaker answer. */
  private async ask(req: IncomingMessage, operation: string, input: unknown): Promise<any> {
    const upstream = await this.forward(req.headers, Buffer.from(JSON.stringify(input)), `SageMaker.${operation}`);
    if (upstream.status !== 200) {
      const { __type, message } = JSON.parse(upstream.text);
      throw new SageMakerError(String(__type).split('#').pop()!, message);
    }
    return JSON.parse(upstream.text);
  }

  private async updateEndpoint(req: IncomingMessage, input: any): Promise<unknown> {
    const running = await this.ask(req, 'DescribeEndpoint', { EndpointName: input.EndpointName });
    const update = this.updates.get(input.EndpointName);
    if (update && !update.status) throw new SageMakerError('ValidationException', `Cannot update in-progress endpoint "${running.EndpointArn}".`);
    await this.ask(req, 'DescribeEndpointConfig', { EndpointConfigName: input.EndpointConfigName });
    const alarms: string[] = (input.DeploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).map((a: any) => a.AlarmName);
    this.updates.set(input.EndpointName, { configName: input.EndpointConfigName, stages: stagesFor(this.plan, alarms), deploymentConfig: input.DeploymentConfig, servedConfig: update?.servedConfig });
    return { EndpointArn: running.EndpointArn };
  }

  /** moto's answer, with the update's current stage (moving on to the next) or its outcome. */
  private describeEndpoint(described: any, update: Update): unknown {
    const stage = update.stages.shift();
    if (stage?.finalConfig) {
      update.status = stage.status;
      if (stage.finalConfig === 'new') update.servedConfig = update.configName;
      if (stage.failureReason) {
        update.failureReason = stage.failureReason;
        for (const a of update.deploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []) void this.onAlarm(a.AlarmName);
      }
    }
    const variant = described.ProductionVariants?.[0] ?? {};
    const instances = variant.DesiredInstanceCount ?? 1;
    const pending = stage?.variantStatus
      ? {
          EndpointConfigName: update.configName,
          StartTime: Date.now() / 1000,
          ProductionVariants: [
            {
              VariantName: variant.VariantName ?? 'AllTraffic',
              CurrentInstanceCount: stage.variantStatus === 'Creating' ? 0 : instances,
              DesiredInstanceCount: instances,
              ...(stage.weight ? { CurrentWeight: stage.weight[0], DesiredWeight: stage.weight[1] } : {}),
              VariantStatus: [{ Status: stage.variantStatus, StartTime: Date.now() / 1000 }],
            },
          ],
        }
      : undefined;
    return {
      ...described,
      ...(described.DataCaptureConfig ? { DataCaptureConfig: this.captureSummary(described.DataCaptureConfig, update.servedConfig ?? described.EndpointConfigName) } : {}),
      EndpointStatus: stage && !stage.finalConfig ? stage.status : update.status ?? 'Updating',
      ...(update.servedConfig ? { EndpointConfigName: update.servedConfig } : {}),
      ...(update.failureReason ? { FailureReason: update.failureReason } : {}),
      LastDeploymentConfig: update.deploymentConfig,
      ...(pending ? { PendingDeploymentSummary: pending } : {}),
      LastModifiedTime: Date.now() / 1000,
    };
  }

  /** moto's Data Capture summary lacks two members SageMaker always sends: whether capture runs, and at what rate. */
  private captureSummary(summary: any, configName: string): unknown {
    const rate = this.sampling.get(configName);
    return { CaptureStatus: summary.EnableCapture ? 'Started' : 'Stopped', ...(rate !== undefined ? { CurrentSamplingPercentage: rate } : {}), ...summary };
  }

  /** moto's DescribeModel as SageMaker answers it: the network isolation asked for, no empty VpcConfig. */
  private describeModel(described: any): unknown {
    const { VpcConfig, ...rest } = described;
    const fixed = { ...rest, EnableNetworkIsolation: this.isolation.get(described.ModelName) ?? described.EnableNetworkIsolation };
    return VpcConfig && Object.keys(VpcConfig).length ? { ...fixed, VpcConfig } : fixed;
  }
}

export interface InvocationRequest {
  endpoint: string;
  body: Buffer;
  headers: IncomingMessage['headers'];
}

/** What the model container answered; a status other than 200 becomes SageMaker's ModelError. */
export interface ContainerAnswer {
  status: number;
  body: string;
  contentType?: string;
  customAttributes?: string;
}

export const RUNTIME_ACCOUNT = '123456789012';

export class SageMakerRuntimeDouble {
  readonly invocations: InvocationRequest[] = [];
  readonly answers: OwnAnswer[] = [];
  /** Endpoints that exist. */
  readonly endpoints = new Set<string>();
  /** The model container behind every endpoint. */
  container: (request: InvocationRequest) => ContainerAnswer = () => ({ status: 200, body: '{"predictions":[]}', contentType: 'application/json' });
  /** Answer every request with this AWS error instead (throttling, expired credentials). */
  failWith?: { status: number; code: string; message: string };
  url = '';
  private server!: Server;

  static async start(): Promise<SageMakerRuntimeDouble> {
    const double = new SageMakerRuntimeDouble();
    double.server = createServer((req, res) => {
      double.handle(req, res).catch((err) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err?.stack ?? err)));
    });
    double.url = await listen(double.server);
    return double;
  }

  close(): Promise<void> {
    return close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const endpoint = decodeURIComponent(/^\/endpoints\/([^/]+)\/invocations$/.exec(new URL(req.url ?? '/', 'http://double').pathname)?.[1] ?? '');
    this.invocations.push({ endpoint, body, headers: req.headers });
    const error = (status: number, code: string, message: string) => {
      this.answers.push({ operation: code, body: { Message: message } });
      res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': code }).end(JSON.stringify({ Message: message }));
    };
    if (this.failWith) return error(this.failWith.status, this.failWith.code, this.failWith.message);
    if (!this.endpoints.has(endpoint)) return error(400, 'ValidationError', `Endpoint ${endpoint} of account ${RUNTIME_ACCOUNT} not found.`);
    const answer = this.container({ endpoint, body, headers: req.headers });
    if (answer.status !== 200) {
      const modelError = {
        OriginalStatusCode: answer.status,
        OriginalMessage: answer.body,
        LogStreamArn: `arn:aws:logs:us-east-1:${RUNTIME_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${endpoint}`,
        Message: `Received client error (${answer.status}) from primary with message "${answer.body}".`,
      };
      this.answers.push({ operation: 'ModelError', body: modelError });
      res.writeHead(424, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ModelError' }).end(JSON.stringify(modelError));
      return;
    }
    const headers = {
      'Content-Type': answer.contentType ?? 'application/json',
      'x-Amzn-Invoked-Production-Variant': 'AllTraffic',
      ...(answer.customAttributes ? { 'X-Amzn-SageMaker-Custom-Attributes': answer.customAttributes } : {}),
    };
    this.answers.push({ operation: 'InvokeEndpoint', body: { headers, body: answer.body } });
    res.writeHead(200, headers).end(answer.body);
  }
}
