/**
 * A local stand-in for the AWS APIs the pipeline's commands call, on one
 * loopback HTTP server, each in its own wire protocol:
 *
 * - S3 (restXml, path-style): PutObject, GetObject, ListObjectsV2 with
 *   continuation tokens (small pages, so paging is exercised), NoSuchKey.
 * - CloudWatch (awsJson1_0, `X-Amz-Target: GraniteServiceVersion20100801.PutMetricData`).
 * - Step Functions (awsJson1_0, `X-Amz-Target: AWSStepFunctions.<Operation>`):
 *   StartExecution and GetExecutionHistory, which reveals a scripted history
 *   a few events per call, as a running execution's grows.
 *
 * Every request's SigV4 signature is recomputed with the AWS SDK's signer and
 * refused (403 SignatureDoesNotMatch) when it differs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { referenceAuthorization, type Credentials } from './sigv4.ts';

export const REGION = 'eu-west-1';
export const CREDENTIALS: Credentials = { accessKeyId: 'AKIDPIPELINETEST', secretAccessKey: 'pipeline/test+secret/KEY' };

export interface HistoryEvent {
  type: string;
  [details: string]: unknown;
}

export class AwsDouble {
  readonly objects = new Map<string, Buffer>();
  readonly metrics: { Namespace: string; MetricData: any[] }[] = [];
  readonly executions: { name?: string; stateMachineArn: string; input: any; executionArn: string }[] = [];
  readonly calls: { service: string; operation: string }[] = [];
  /** Events the next execution's history will show, without ids or timestamps. */
  script: HistoryEvent[] = [];
  /** How many more events each GetExecutionHistory reveals. */
  eventsPerPoll = 3;
  pageSize = 2;
  private revealed = 0;
  private server!: Server;
  url = '';

  static async start(): Promise<AwsDouble> {
    const double = new AwsDouble();
    double.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        double.handle(req, Buffer.concat(chunks), res).catch((err: Error) => {
          res.writeHead(500).end(String(err.stack));
        });
      });
    });
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.url = `http://127.0.0.1:${(double.server.address() as AddressInfo).port}`;
    return double;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
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

  /** Environment for a child process (or the SDK) to use this double. */
  env(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: this.url,
    };
  }

  private async verify(req: IncomingMessage, body: Buffer, service: string): Promise<boolean> {
    const authorization = String(req.headers.authorization ?? '');
    const signed = /SignedHeaders=([^,]+)/.exec(authorization)?.[1].split(';');
    const dateText = String(req.headers['x-amz-date'] ?? '');
    if (!signed || !/^\d{8}T\d{6}Z$/.test(dateText)) return false;
    const date = new Date(`${dateText.slice(0, 4)}-${dateText.slice(4, 6)}-${dateText.slice(6, 8)}T${dateText.slice(9, 11)}:${dateText.slice(11, 13)}:${dateText.slice(13, 15)}Z`);
    const url = new URL(req.url!, `http://${req.headers.host}`);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
    const credentials = { ...CREDENTIALS, ...(headers['x-amz-security-token'] ? { sessionToken: headers['x-amz-security-token'] } : {}) };
    const expected = await referenceAuthorization({ method: req.method!, url, headers, body }, signed, credentials, REGION, service, date);
    return expected === authorization;
  }

  private async handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const service = target.startsWith('AWSStepFunctions.') ? 'states' : target.startsWith('GraniteServiceVersion20100801.') ? 'monitoring' : 's3';
    const credential = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
    if (!credential || credential[1] !== REGION || credential[2] !== service || !(await this.verify(req, body, service))) {
      if (service === 's3') return this.xmlError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      return this.json(res, 400, { __type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.' });
    }
    if (service === 's3') return this.s3(req, body, res);
    const operation = target.split('.')[1];
    this.calls.push({ service, operation });
    const input = JSON.parse(body.toString('utf8') || '{}');
    if (operation === 'PutMetricData') {
      this.metrics.push(input);
      return this.json(res, 200, {});
    }
    if (operation === 'StartExecution') {
      if (!/:stateMachine:/.test(input.stateMachineArn)) return this.json(res, 400, { __type: 'InvalidArn', message: `Invalid Arn: '${input.stateMachineArn}'` });
      if (input.stateMachineArn.endsWith(':missing')) return this.json(res, 400, { __type: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${input.stateMachineArn}'` });
      const name = input.name ?? `exec-${this.executions.length + 1}`;
      const executionArn = input.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
      this.executions.push({ ...input, input: JSON.parse(input.input), executionArn });
      this.revealed = 0;
      return this.json(res, 200, { executionArn, startDate: 1717243200 });
    }
    if (operation === 'GetExecutionHistory') {
      this.revealed = Math.min(this.script.length, this.revealed + this.eventsPerPoll);
      const all = this.script.slice(0, this.revealed).map((e, i) => ({ id: i + 1, previousEventId: i, timestamp: 1717243200 + i * 7, ...e }));
      const start = input.nextToken ? Number(input.nextToken) : 0;
      const page = all.slice(start, start + Math.min(input.maxResults ?? 100, this.pageSize));
      const next = start + page.length < all.length ? String(start + page.length) : undefined;
      return this.json(res, 200, { events: page, ...(next ? { nextToken: next } : {}) });
    }
    return this.json(res, 400, { __type: 'UnknownOperationException', message: operation });
  }

  private s3(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url!, this.url);
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    const id = `${bucket}/${key}`;
    if (req.method === 'PUT') {
      this.calls.push({ service: 's3', operation: 'PutObject' });
      this.objects.set(id, body);
      res.writeHead(200, { etag: '"x"' }).end();
      return;
    }
    if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      this.calls.push({ service: 's3', operation: 'ListObjectsV2' });
      const prefix = url.searchParams.get('prefix') ?? '';
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).map((k) => k.slice(bucket.length + 1)).sort();
      const start = Number(url.searchParams.get('continuation-token') ?? '0');
      const page = keys.slice(start, start + this.pageSize);
      const truncated = start + page.length < keys.length;
      const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
      res.writeHead(200, { 'content-type': 'application/xml' }).end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${escape(prefix)}</Prefix>` +
          page.map((k) => `<Contents><Key>${escape(k)}</Key><Size>${this.objects.get(`${bucket}/${k}`)!.length}</Size></Contents>`).join('') +
          `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${start + page.length}</NextContinuationToken>` : ''}</ListBucketResult>`,
      );
      return;
    }
    if (req.method === 'GET') {
      this.calls.push({ service: 's3', operation: 'GetObject' });
      const object = this.objects.get(id);
      if (!object) return this.xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(object);
      return;
    }
    this.xmlError(res, 405, 'MethodNotAllowed', req.method!);
  }

  private xmlError(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
  }
}
