/**
 * A local stand-in for the AWS APIs rookery calls, on one loopback HTTP
 * server, speaking each service's published wire protocol as the SDK
 * clients (scripts/aws/clients.ts) send it. Tests that need only S3 may use
 * a real emulator instead (test/helpers/moto.ts); this double covers what an
 * emulator cannot script: a guarded SageMaker update, a container's answers
 * and a Step Functions history that grows.
 *
 * - SageMaker (awsJson1_1: POST /, `X-Amz-Target: SageMaker.<Operation>`,
 *   errors as `{"__type": ..., "message": ...}`): models, endpoint
 *   configurations and endpoints, and an UpdateEndpoint whose guarded
 *   blue/green update advances one stage per DescribeEndpoint and either
 *   completes or is rolled back when a rollback alarm fires.
 * - SageMaker Runtime (restJson1: `POST /endpoints/{name}/invocations`),
 *   answering with a handler the test supplies; container errors come back
 *   as ModelError (424) with OriginalStatusCode and OriginalMessage.
 * - S3 (restXml, path-style): ListObjectsV2 with MaxKeys (at most 1000, and
 *   at most `pageSize`, so paging is exercised) and opaque continuation
 *   tokens, GetObject, PutObject (plain or aws-chunked bodies), NoSuchKey
 *   (404) and NoSuchBucket (404) errors. Buckets exist once `bucket(name)`
 *   made them.
 * - CloudWatch (awsJson1_0: `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`):
 *   DescribeAlarms, and PutMetricData (gzip-compressed bodies too, as the
 *   SDK sends large ones).
 * - Step Functions (awsJson1_0: `X-Amz-Target: AWSStepFunctions.<Operation>`):
 *   StartExecution and GetExecutionHistory, which reveals a scripted history
 *   a few events per call, as a running execution's grows.
 *
 * Every request's SigV4 signature is recomputed with the SDK's signer and
 * refused when it differs (S3: 403 SignatureDoesNotMatch; JSON services:
 * 403 InvalidSignatureException), as AWS does for a wrong secret.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { referenceAuthorization } from './sigv4.ts';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

export interface RecordedCall {
  service: 'sagemaker' | 'runtime' | 's3' | 'cloudwatch' | 'states';
  operation: string;
  headers: IncomingMessage['headers'];
  body: any;
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

/** A Step Functions history event, without id or timestamp. */
export interface HistoryEvent {
  type: string;
  [details: string]: unknown;
}

/** How an UpdateEndpoint goes: each DescribeEndpoint afterwards shows the next stage. */
export type UpdatePlan = 'complete' | 'alarm';

interface Endpoint {
  name: string;
  status: string;
  configName: string;
  failureReason?: string;
  lastDeploymentConfig?: any;
  pending?: { configName: string; stages: Stage[]; deploymentConfig: any; previousConfig: string };
  instances: number;
  created: number;
}

interface Stage {
  status: string;
  variantStatus?: string;
  weight?: [number, number];
  /** Final stages: the configuration the endpoint ends on, and why. */
  finalConfig?: 'new' | 'previous';
  failureReason?: string;
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Decodes an `aws-chunked` body: `<hex size>[;chunk-signature=...]\r\n<data>\r\n` ... `0\r\n<trailers>\r\n\r\n`. */
function decodeAwsChunked(body: Buffer): Buffer<ArrayBuffer> {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', offset);
    if (eol < 0) throw new Error('malformed aws-chunked body');
    const size = parseInt(body.subarray(offset, eol).toString('ascii').split(';')[0], 16);
    offset = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
}

export class AwsDouble {
  readonly calls: RecordedCall[] = [];
  readonly models = new Map<string, any>();
  readonly endpointConfigs = new Map<string, any>();
  readonly endpoints = new Map<string, Endpoint>();
  /** S3 objects by bucket, then key. */
  readonly buckets = new Map<string, Map<string, { body: Buffer; headers: IncomingMessage['headers'] }>>();
  readonly alarms = new Map<string, string>();
  /** How the next UpdateEndpoint goes. */
  plan: UpdatePlan = 'complete';
  /** The model container behind every endpoint. */
  container: (request: InvocationRequest) => ContainerAnswer = () => ({ status: 200, body: '{"predictions":[]}', contentType: 'application/json' });
  /** Answer every request with this AWS error instead (credential and permission tests). */
  failWith?: { status: number; code: string; message: string };
  /** At most this many keys per ListObjectsV2 page (S3 may return fewer than MaxKeys). */
  pageSize = 1000;
  readonly metrics: { Namespace: string; MetricData: any[] }[] = [];
  readonly executions: { name?: string; stateMachineArn: string; input: any; executionArn: string }[] = [];
  /** Events the next execution's history will show. */
  script: HistoryEvent[] = [];
  /** How many more events each GetExecutionHistory reveals. */
  eventsPerPoll = 3;
  /** Events per GetExecutionHistory page. */
  historyPageSize = 2;
  private revealed = 0;
  private server!: Server;
  url = '';

  static async start(): Promise<AwsDouble> {
    const double = new AwsDouble();
    double.server = createServer((req, res) => {
      double.handle(req, res).catch((err) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err?.stack ?? err));
      });
    });
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.url = `http://127.0.0.1:${(double.server.address() as AddressInfo).port}`;
    return double;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Environment for a child process (or the SDK's default chain) to use this double. */
  env(): Record<string, string> {
    return { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_REGION: REGION, AWS_ENDPOINT_URL: this.url };
  }

  /**
   * Points this process's environment at the double: variables starting with
   * one of `clear` go (other credentials, profiles, endpoints), env() comes in.
   * Returns the function that puts the environment back.
   */
  useInProcess(clear: string[] = ['AWS_']): () => void {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (clear.some((prefix) => k.startsWith(prefix))) delete process.env[k];
    Object.assign(process.env, this.env());
    return () => {
      process.env = saved;
    };
  }

  /** The object at `bucket/key`. */
  object(id: string): Buffer | undefined {
    const [bucket, ...key] = id.split('/');
    return this.buckets.get(bucket)?.get(key.join('/'))?.body;
  }

  /** Stores an object at `bucket/key`, making the bucket if needed. */
  setObject(id: string, body: Buffer): void {
    const [bucket, ...key] = id.split('/');
    this.bucket(bucket).set(key.join('/'), { body, headers: {} });
  }

  /** Every object as `bucket/key`. */
  objectIds(): string[] {
    return [...this.buckets].flatMap(([bucket, objects]) => [...objects.keys()].map((key) => `${bucket}/${key}`));
  }

  operations(service: RecordedCall['service'], operation?: string): RecordedCall[] {
    return this.calls.filter((c) => c.service === service && (!operation || c.operation === operation));
  }

  bucket(name: string): Map<string, { body: Buffer; headers: IncomingMessage['headers'] }> {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new Map()));
    return b;
  }

  /** An endpoint as EndpointStack leaves it: model, configuration with Data Capture, rollback alarms. */
  seedEndpoint(options: { name: string; bucket: string; instances?: number; alarms?: string[]; configName?: string; modelName?: string }): void {
    const modelName = options.modelName ?? `${options.name}-0a1b2c3d4e5f`;
    const configName = options.configName ?? `${options.name}-5f4e3d2c1b0a`;
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    this.bucket(options.bucket);
    this.models.set(modelName, {
      ModelName: modelName,
      ModelArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${modelName}`,
      ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/EndpointStack-ExecutionRole605A040B-AbCdEf`,
      PrimaryContainer: {
        Image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}:f20f844e1c`,
        Mode: 'SingleModel',
        ModelDataUrl: `s3://cdk-hnb659fds-assets-${ACCOUNT}-${REGION}/93e2703de8.gz`,
        Environment: { MODEL_DIR: '/opt/ml/model', DATA_CAPTURE: 'false' },
      },
      EnableNetworkIsolation: true,
      CreationTime: Date.now() / 1000,
    });
    this.endpointConfigs.set(configName, {
      EndpointConfigName: configName,
      EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${configName}`,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: modelName, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: `s3://${options.bucket}/capture`,
        KmsKeyId: keyArn,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'], CsvContentTypes: ['text/csv'] },
      },
      KmsKeyId: keyArn,
      CreationTime: Date.now() / 1000,
    });
    const alarms = options.alarms ?? [`${options.name}-5xx-errors`, `${options.name}-model-latency`];
    for (const a of alarms) this.alarms.set(a, 'OK');
    this.endpoints.set(options.name, {
      name: options.name,
      status: 'InService',
      configName,
      instances: options.instances ?? 1,
      created: Date.now() / 1000,
      lastDeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 }, TerminationWaitInSeconds: 0, MaximumExecutionTimeoutInSeconds: 2100 },
        AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) },
      },
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://double');
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      await this.verify(req, url, body, target);
      if (target.startsWith('SageMaker.')) {
        const operation = target.slice('SageMaker.'.length);
        const input = JSON.parse(body.toString('utf8') || '{}');
        this.calls.push({ service: 'sagemaker', operation, headers: req.headers, body: input });
        this.failIfAsked();
        return this.json(res, 'application/x-amz-json-1.1', this.sagemaker(operation, input));
      }
      if (target.startsWith('GraniteServiceVersion20100801.')) {
        const operation = target.split('.')[1];
        const input = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8') || '{}');
        this.calls.push({ service: 'cloudwatch', operation, headers: req.headers, body: input });
        this.failIfAsked();
        if (operation === 'PutMetricData') {
          this.metrics.push(input);
          return this.json(res, 'application/x-amz-json-1.0', {});
        }
        if (operation !== 'DescribeAlarms') throw new AwsError(400, 'InvalidAction', `${operation} is not implemented by this double`);
        const names: string[] = input.AlarmNames ?? [];
        const MetricAlarms = names.filter((n) => this.alarms.has(n)).map((n) => ({ AlarmName: n, StateValue: this.alarms.get(n) }));
        return this.json(res, 'application/x-amz-json-1.0', { MetricAlarms, CompositeAlarms: [] });
      }
      if (target.startsWith('AWSStepFunctions.')) {
        const operation = target.split('.')[1];
        const input = JSON.parse(body.toString('utf8') || '{}');
        this.calls.push({ service: 'states', operation, headers: req.headers, body: input });
        this.failIfAsked();
        return this.json(res, 'application/x-amz-json-1.0', this.states(operation, input));
      }
      const invocation = /^\/endpoints\/([^/]+)\/invocations$/.exec(url.pathname);
      if (invocation && req.method === 'POST') {
        const endpoint = decodeURIComponent(invocation[1]);
        this.calls.push({ service: 'runtime', operation: 'InvokeEndpoint', headers: req.headers, body });
        this.failIfAsked();
        return this.invoke(endpoint, body, req, res);
      }
      if (req.headers['content-encoding']?.includes('aws-chunked')) body = decodeAwsChunked(body);
      return this.s3(req, res, url, body);
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      if (target || url.pathname.startsWith('/endpoints/')) {
        const type = target.startsWith('SageMaker.') ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
        res.writeHead(err.status, { 'Content-Type': target ? type : 'application/json', 'x-amzn-ErrorType': err.code, 'x-amzn-RequestId': 'req-1' });
        res.end(JSON.stringify({ __type: err.code, message: err.message }));
        return;
      }
      res.writeHead(err.status, { 'Content-Type': 'application/xml', 'x-amz-request-id': 'req-1' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message><RequestId>req-1</RequestId></Error>`);
    }
  }

  /** Recomputes the signature with the test credentials, as AWS does; a wrong secret gets AWS's answer. */
  private async verify(req: IncomingMessage, url: URL, body: Buffer, target: string): Promise<void> {
    const authorization = String(req.headers.authorization ?? '');
    const scope = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+),/.exec(authorization);
    if (!scope) throw new AwsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const [, accessKeyId, region, service, signedHeaders] = scope;
    if (accessKeyId !== CREDENTIALS.accessKeyId) throw new AwsError(403, target ? 'UnrecognizedClientException' : 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const dateText = String(req.headers['x-amz-date'] ?? '');
    const date = new Date(dateText.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
    const credentials = { ...CREDENTIALS, ...(headers['x-amz-security-token'] ? { sessionToken: headers['x-amz-security-token'] } : {}) };
    const requestUrl = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const expected = await referenceAuthorization({ method: req.method!, url: requestUrl, headers, body }, signedHeaders.split(';'), credentials, region, service, date);
    if (region !== REGION || expected !== authorization) {
      const message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
      throw new AwsError(403, target || url.pathname.startsWith('/endpoints/') ? 'InvalidSignatureException' : 'SignatureDoesNotMatch', message);
    }
  }

  private states(operation: string, input: any): unknown {
    if (operation === 'StartExecution') {
      if (!/:stateMachine:/.test(input.stateMachineArn)) throw new AwsError(400, 'InvalidArn', `Invalid Arn: '${input.stateMachineArn}'`);
      if (input.stateMachineArn.endsWith(':missing')) throw new AwsError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${input.stateMachineArn}'`);
      const name = input.name ?? `exec-${this.executions.length + 1}`;
      const executionArn = input.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
      this.executions.push({ ...input, input: JSON.parse(input.input), executionArn });
      this.revealed = 0;
      return { executionArn, startDate: 1717243200 };
    }
    if (operation === 'GetExecutionHistory') {
      this.revealed = Math.min(this.script.length, this.revealed + this.eventsPerPoll);
      const all = this.script.slice(0, this.revealed).map((e, i) => ({ id: i + 1, previousEventId: i, timestamp: 1717243200 + i * 7, ...e }));
      const start = input.nextToken ? Number(input.nextToken) : 0;
      const page = all.slice(start, start + Math.min(input.maxResults ?? 100, this.historyPageSize));
      const next = start + page.length < all.length ? String(start + page.length) : undefined;
      return { events: page, ...(next ? { nextToken: next } : {}) };
    }
    throw new AwsError(400, 'UnknownOperationException', `${operation} is not implemented by this double`);
  }

  private failIfAsked(): void {
    if (this.failWith) throw new AwsError(this.failWith.status, this.failWith.code, this.failWith.message);
  }

  private json(res: ServerResponse, type: string, value: unknown): void {
    res.writeHead(200, { 'Content-Type': type, 'x-amzn-RequestId': 'req-1' }).end(JSON.stringify(value));
  }

  private endpoint(name: string): Endpoint {
    const e = this.endpoints.get(name);
    if (!e) throw new AwsError(400, 'ValidationException', `Could not find endpoint "arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${name}".`);
    return e;
  }

  private sagemaker(operation: string, input: any): unknown {
    switch (operation) {
      case 'DescribeEndpoint':
        return this.describeEndpoint(this.endpoint(input.EndpointName));
      case 'DescribeEndpointConfig': {
        const c = this.endpointConfigs.get(input.EndpointConfigName);
        if (!c) throw new AwsError(400, 'ValidationException', `Could not find endpoint configuration "${input.EndpointConfigName}".`);
        return c;
      }
      case 'DescribeModel': {
        const m = this.models.get(input.ModelName);
        if (!m) throw new AwsError(400, 'ValidationException', `Could not find model "${input.ModelName}".`);
        return m;
      }
      case 'CreateModel': {
        if (this.models.has(input.ModelName)) throw new AwsError(400, 'ValidationException', `Cannot create already existing model "${input.ModelName}".`);
        if (!input.ExecutionRoleArn || !input.PrimaryContainer?.Image || !input.PrimaryContainer?.ModelDataUrl) throw new AwsError(400, 'ValidationException', 'ExecutionRoleArn, Image and ModelDataUrl are required');
        const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(input.PrimaryContainer.ModelDataUrl) ?? [];
        if (!this.buckets.get(bucket)?.has(key)) throw new AwsError(400, 'ValidationException', `Could not access model data at ${input.PrimaryContainer.ModelDataUrl}.`);
        this.models.set(input.ModelName, { ...input, ModelArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${input.ModelName.toLowerCase()}`, CreationTime: Date.now() / 1000 });
        return { ModelArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${input.ModelName.toLowerCase()}` };
      }
      case 'CreateEndpointConfig': {
        if (this.endpointConfigs.has(input.EndpointConfigName)) throw new AwsError(400, 'ValidationException', `Cannot create already existing endpoint configuration "${input.EndpointConfigName}".`);
        for (const v of input.ProductionVariants ?? []) {
          if (!this.models.has(v.ModelName)) throw new AwsError(400, 'ValidationException', `Could not find model "${v.ModelName}".`);
        }
        const arn = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${input.EndpointConfigName.toLowerCase()}`;
        this.endpointConfigs.set(input.EndpointConfigName, { ...input, EndpointConfigArn: arn, CreationTime: Date.now() / 1000 });
        return { EndpointConfigArn: arn };
      }
      case 'UpdateEndpoint': {
        const e = this.endpoint(input.EndpointName);
        if (e.status !== 'InService') throw new AwsError(400, 'ValidationException', `Cannot update in-progress endpoint "${e.name}".`);
        if (!this.endpointConfigs.has(input.EndpointConfigName)) throw new AwsError(400, 'ValidationException', `Could not find endpoint configuration "${input.EndpointConfigName}".`);
        const alarms: string[] = (input.DeploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).map((a: any) => a.AlarmName);
        const stages: Stage[] =
          this.plan === 'complete'
            ? [
                { status: 'Updating', variantStatus: 'Creating' },
                { status: 'Updating', variantStatus: 'ActivatingTraffic', weight: [0, 1] },
                { status: 'Updating', variantStatus: 'Baking', weight: [1, 1] },
                { status: 'InService', finalConfig: 'new' },
              ]
            : [
                { status: 'Updating', variantStatus: 'Creating' },
                { status: 'Updating', variantStatus: 'Baking', weight: [1, 1] },
                {
                  status: 'InService',
                  finalConfig: 'previous',
                  failureReason: `Deployment was rolled back because alarm(s) [${alarms[0]}] went into ALARM state.`,
                },
              ];
        e.status = 'Updating';
        e.pending = { configName: input.EndpointConfigName, stages, deploymentConfig: input.DeploymentConfig, previousConfig: e.configName };
        e.lastDeploymentConfig = input.DeploymentConfig;
        return { EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${e.name}` };
      }
      case 'DeleteEndpointConfig':
        if (!this.endpointConfigs.delete(input.EndpointConfigName)) throw new AwsError(400, 'ValidationException', `Could not find endpoint configuration "${input.EndpointConfigName}".`);
        return {};
      case 'DeleteModel':
        if (!this.models.delete(input.ModelName)) throw new AwsError(400, 'ValidationException', `Could not find model "${input.ModelName}".`);
        return {};
      default:
        throw new AwsError(400, 'UnknownOperationException', `${operation} is not implemented by this double`);
    }
  }

  /** Shows the current stage of a pending update and moves to the next one. */
  private describeEndpoint(e: Endpoint): unknown {
    const stage = e.pending?.stages.shift();
    if (e.pending && stage) {
      e.status = stage.status;
      if (stage.finalConfig) {
        if (stage.finalConfig === 'new') e.configName = e.pending.configName;
        if (stage.failureReason) {
          e.failureReason = stage.failureReason;
          for (const a of e.pending.deploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []) this.alarms.set(a.AlarmName, 'ALARM');
        }
        e.pending = undefined;
      }
    }
    const pending = e.pending && stage?.variantStatus
      ? {
          EndpointConfigName: e.pending.configName,
          StartTime: Date.now() / 1000,
          ProductionVariants: [
            {
              VariantName: 'AllTraffic',
              CurrentInstanceCount: stage.variantStatus === 'Creating' ? 0 : e.instances,
              DesiredInstanceCount: e.instances,
              ...(stage.weight ? { CurrentWeight: stage.weight[0], DesiredWeight: stage.weight[1] } : {}),
              VariantStatus: [{ Status: stage.variantStatus, StartTime: Date.now() / 1000 }],
            },
          ],
        }
      : undefined;
    return {
      EndpointName: e.name,
      EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${e.name}`,
      EndpointConfigName: e.configName,
      EndpointStatus: e.status,
      ...(e.failureReason ? { FailureReason: e.failureReason } : {}),
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: e.instances, DesiredInstanceCount: e.instances, CurrentWeight: 1, DesiredWeight: 1 }],
      ...(e.lastDeploymentConfig ? { LastDeploymentConfig: e.lastDeploymentConfig } : {}),
      ...(pending ? { PendingDeploymentSummary: pending } : {}),
      CreationTime: e.created,
      LastModifiedTime: Date.now() / 1000,
    };
  }

  private invoke(endpoint: string, body: Buffer, req: IncomingMessage, res: ServerResponse): void {
    const e = this.endpoints.get(endpoint);
    if (!e) throw new AwsError(400, 'ValidationError', `Endpoint ${endpoint} of account ${ACCOUNT} not found.`);
    const answer = this.container({ endpoint, body, headers: req.headers });
    if (answer.status !== 200) {
      res.writeHead(424, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ModelError', 'x-amzn-RequestId': 'req-1' });
      res.end(
        JSON.stringify({
          ErrorCode: 'CLIENT_ERROR_FROM_MODEL',
          OriginalStatusCode: answer.status,
          OriginalMessage: answer.body,
          LogStreamArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${endpoint}`,
          Message: `Received client error (${answer.status}) from primary with message "${answer.body}".`,
        }),
      );
      return;
    }
    res.writeHead(200, {
      'Content-Type': answer.contentType ?? 'application/json',
      'x-Amzn-Invoked-Production-Variant': 'AllTraffic',
      ...(answer.customAttributes ? { 'X-Amzn-SageMaker-Custom-Attributes': answer.customAttributes } : {}),
    });
    res.end(answer.body);
  }

  private s3(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void {
    const [, bucketName, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const bucket = this.buckets.get(bucketName);
    const operation = req.method === 'PUT' ? 'PutObject' : key ? 'GetObject' : url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : `${req.method} bucket`;
    this.calls.push({ service: 's3', operation, headers: req.headers, body: operation === 'ListObjectsV2' ? Object.fromEntries(url.searchParams) : { key } });
    this.failIfAsked();
    if (!bucket) throw new AwsError(404, 'NoSuchBucket', 'The specified bucket does not exist');

    if (operation === 'PutObject') {
      bucket.set(key, { body, headers: req.headers });
      res.writeHead(200, { ETag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
      return;
    }
    if (operation === 'GetObject') {
      const object = bucket.get(key);
      if (!object) throw new AwsError(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'Content-Type': String(object.headers['content-type'] ?? 'application/octet-stream'), 'Content-Length': object.body.length, ETag: '"etag"' });
      res.end(object.body);
      return;
    }
    if (operation !== 'ListObjectsV2') throw new AwsError(400, 'NotImplemented', `${operation} is not implemented by this double`);
    const prefix = url.searchParams.get('prefix') ?? '';
    const maxKeys = Math.min(1000, this.pageSize, Number(url.searchParams.get('max-keys') ?? 1000));
    const token = url.searchParams.get('continuation-token');
    const after = token ? Buffer.from(token, 'base64url').toString('utf8') : '';
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > maxKeys;
    const contents = page
      .map((k) => `<Contents><Key>${xmlEscape(k)}</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>"etag"</ETag><Size>${bucket.get(k)!.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
      .join('');
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucketName}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
        (token ? `<ContinuationToken>${token}</ContinuationToken>` : '') +
        (truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64url')}</NextContinuationToken>` : '') +
        `${contents}</ListBucketResult>`,
    );
  }
}
