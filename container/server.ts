import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RUNTIME_VERSION, type LoadedArtifact } from '../model/artifact.ts';
import { UserError } from '../model/user-error.ts';
import { executionParameters, type BatchSettings } from './batch-settings.ts';
import { LazyCaptureSink } from './capture/lazy-sink.ts';
import { ByteBudget, type Hold } from './byte-budget.ts';
import type { CaptureSink } from './capture/sink.ts';
import { ROUTES } from './contract.ts';
import { invocationsSliced, mediaTypeOf } from './invocations.ts';
import type { MediaType } from './protocol.ts';
import { ServerLifecycle, STOP_GRACE_MS } from './lifecycle.ts';
import { DEFAULT_LIMITS, LIMIT_SETTINGS, type ServeLimits } from './limits.ts';
import { answerParserErrors } from './parser-errors.ts';
import { errorReply, jsonReply, withHeaders, type Reply } from './reply.ts';
import { BodyRefused, readBody } from './request-body.ts';
import { createRouter, type Route } from './router.ts';
import { SliceScheduler } from './steps.ts';

export interface ServerOptions {
  port: number;
  host: string;
  /** Loads the model after the socket is listening, so health checks answer (503) from the first moment. */
  loadModel: () => Promise<LoadedArtifact>;
  /**
   * Opens the capture sink, on the first request that asks for capture (so a
   * server that never captures creates no database). Undefined: no capture.
   */
  openCapture?: (model: LoadedArtifact) => CaptureSink;
  /** Capture requests that don't say `params.data_capture` (DATA_CAPTURE=true). */
  captureByDefault: boolean;
  /** What clients may make the server hold (limits.ts). Default: DEFAULT_LIMITS. */
  limits?: ServeLimits;
  /** SageMaker Batch Transform mode (SAGEMAKER_BATCH=true, batch-settings.ts): /execution-parameters and multi-record bodies. Default: off. */
  batch?: BatchSettings;
  log?: (message: string) => void;
}

export interface RunningServer {
  readonly port: number;
  readonly server: Server;
  /** Resolves when the model is loaded (or rejects with why it could not be). */
  readonly ready: Promise<void>;
  /** Stops accepting, lets in-flight requests finish, flushes capture. */
  stop(deadlineMs?: number): Promise<void>;
}

const CUSTOM_ATTRIBUTES = 'x-amzn-sagemaker-custom-attributes';
const INFERENCE_ID = 'x-amzn-sagemaker-inference-id';

/** A route's answer; undefined when there is no one left to answer (the client went away). */
type Handler = (req: IncomingMessage, res: ServerResponse, hold: Hold) => Reply | undefined | Promise<Reply | undefined>;

/** What the handlers share: the server's life (the model), its capture sink, the bytes held for clients and the settings. */
interface Context {
  life: ServerLifecycle;
  capture: LazyCaptureSink;
  budget: ByteBudget;
  scheduler: SliceScheduler;
  limits: ServeLimits;
  options: ServerOptions;
  log: (message: string) => void;
}

/**
 * Writes the answer. What the kernel does not take at once (the client reads
 * slowly or not at all) stays counted in the request's hold, and the client
 * is cut off if it has not taken all of it within the write timeout: an
 * answer never waits in memory for longer. One bounded answer per request,
 * and Node stops reading a connection's next requests while its answers wait.
 */
function writeReply(ctx: Context, res: ServerResponse, reply: Reply, hold?: Hold): void {
  if (res.destroyed) return;
  const bytes = Buffer.byteLength(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': bytes,
    ...reply.headers,
  });
  res.end(reply.body);
  if (res.writableFinished || !res.socket || res.socket.writableLength === 0) return;
  hold?.add(bytes);
  const timer = setTimeout(() => res.destroy(), ctx.life.stopStarted ? STOP_GRACE_MS : ctx.limits.writeTimeoutMs);
  res.once('close', () => clearTimeout(timer));
}

function health({ life, capture, options }: Context): object {
  const model = life.model;
  const loadError = life.loadError;
  const captureStats = capture.stats();
  return {
    // Degraded: the model answers, but capture is failing or dropping (capture.degraded says why); /ping stays about the model.
    status: model ? (captureStats.degraded ? 'degraded' : 'ok') : loadError ? 'failed' : 'loading',
    ...(loadError ? { error: loadError } : {}),
    ...(model ? { model: { dir: model.dir, uuid: model.mlmodel.model_uuid, created: model.mlmodel.utc_time_created } } : {}),
    capture: { available: capture.available, byDefault: options.captureByDefault, ...captureStats },
  };
}

/**
 * Scores with invocations() in slices (other requests get turns between them)
 * and queues capture. `waiting` is set when the capture sink is behind (the
 * record is queued): answer after it settles (it never rejects).
 */
async function scoreAndCapture({ capture, options, limits, scheduler }: Context, model: LoadedArtifact, text: string, mediaType: MediaType, req: IncomingMessage): Promise<{ reply: Reply; waiting?: Promise<boolean> }> {
  const batch = options.batch ? { batch: true, accept: req.headers.accept } : {};
  const { reply, scored } = await invocationsSliced(scheduler, model, text, mediaType, { maxRows: limits.maxRows, ...batch });
  if (!scored) return { reply };
  const wantCapture = typeof scored.params.data_capture === 'boolean' ? scored.params.data_capture : options.captureByDefault;
  const sink = wantCapture && scored.rows.length > 0 ? capture.for(model) : undefined;
  const inferenceId = req.headers[INFERENCE_ID];
  const waiting = sink?.enqueue({
    eventId: randomUUID(),
    ...(typeof inferenceId === 'string' ? { inferenceId } : {}),
    time: new Date(),
    rows: scored.rows,
    predictions: scored.predictions,
    requestBody: text,
    requestContentType: scored.mediaType,
    responseBody: reply.body,
    ...(reply.contentType === 'application/json' ? {} : { responseContentType: reply.contentType }),
  });
  return waiting ? { reply, waiting } : { reply };
}

/** The 503 for a body the byte budget refused; the connection is closed rather than read further. */
function refusedReply(ctx: Context, refused: BodyRefused): Reply {
  const [limit, setting] = refused.refusal === 'total' ? [ctx.limits.maxBufferedBytes, LIMIT_SETTINGS.maxBufferedBytes] : [ctx.limits.maxConnectionBytes, LIMIT_SETTINGS.maxConnectionBytes];
  const whose = refused.refusal === 'total' ? 'for all clients' : 'for this connection';
  return errorReply(503, 'TEMPORARILY_UNAVAILABLE', `the server holds ${limit} bytes ${whose} already (${setting}): retry shortly`, { Connection: 'close', 'Retry-After': '1' });
}

/** POST /invocations and /score: 415 before reading the body, 413 past the limits, 503 when busy or until the model has loaded. */
async function score(ctx: Context, req: IncomingMessage, res: ServerResponse, hold: Hold): Promise<Reply> {
  const mediaType = mediaTypeOf(req.headers['content-type'], Boolean(ctx.options.batch));
  if (typeof mediaType !== 'string') return mediaType;
  let text: string;
  try {
    text = await readBody(req, ctx.limits.maxBodyBytes, hold);
  } catch (err) {
    // A 413 sent before the whole body arrived (far over the limit): close rather than keep reading it.
    if (err instanceof UserError) return errorReply(413, 'REQUEST_ENTITY_TOO_LARGE', err.message, req.complete ? undefined : { Connection: 'close' });
    if (err instanceof BodyRefused) return refusedReply(ctx, err);
    throw err;
  }
  ctx.life.markAnswering(res, true);
  const model = ctx.life.model;
  if (!model) {
    const loadError = ctx.life.loadError;
    return errorReply(503, 'TEMPORARILY_UNAVAILABLE', loadError ? `the model failed to load: ${loadError}` : 'the model is still loading; retry shortly');
  }
  const { reply, waiting } = await scoreAndCapture(ctx, model, text, mediaType, req);
  // The record waits for room in the capture queue or (durable mode) for its write: answer once it is in; false: not stored in time.
  if (waiting && !(await waiting)) return errorReply(503, 'TEMPORARILY_UNAVAILABLE', 'durable capture could not store this request in time; retry shortly', { 'Retry-After': '1' });
  return reply;
}

/** The scoring routes' handler: every answer echoes SageMaker's custom attributes; a failure that is not the client's is a logged 500. */
function scoring(ctx: Context): Handler {
  return async (req, res, hold) => {
    const customAttributes = req.headers[CUSTOM_ATTRIBUTES];
    const echo: Record<string, string> = typeof customAttributes === 'string' ? { 'X-Amzn-SageMaker-Custom-Attributes': customAttributes } : {};
    try {
      return withHeaders(await score(ctx, req, res, hold), echo);
    } catch (err) {
      // The client went away before sending the whole body: there is no one to answer, and nothing failed here.
      if (req.destroyed && (err as NodeJS.ErrnoException).code === 'ECONNRESET') return undefined;
      ctx.log(`error: ${(err as Error).stack ?? String(err)}`);
      return errorReply(500, 'INTERNAL_ERROR', 'the server failed to score the request; see the server log', echo);
    }
  };
}

/** The route table, in ROUTES' order (the 404 lists the paths so). */
function routes(ctx: Context): Record<string, Route<Handler>> {
  const get = (handler: Handler): Route<Handler> => ({ method: 'GET', handler });
  const loaded = () => Boolean(ctx.life.model);
  const invoke: Route<Handler> = { method: 'POST', handler: scoring(ctx) };
  const batch = ctx.options.batch;
  return {
    [ROUTES.ping]: get(() => ({ status: loaded() ? 200 : 503, contentType: 'text/plain', body: loaded() ? '\n' : '' })),
    [ROUTES.health]: get(() => jsonReply(loaded() ? 200 : 503, health(ctx))),
    [ROUTES.live]: get(() => jsonReply(200, { live: true })),
    [ROUTES.ready]: get(() => jsonReply(loaded() ? 200 : 503, { ready: loaded() })),
    [ROUTES.score]: invoke,
    [ROUTES.invocations]: invoke,
    [ROUTES.version]: get(() => jsonReply(200, { version: RUNTIME_VERSION })),
    ...(batch ? { [ROUTES.executionParameters]: get(() => jsonReply(200, executionParameters(batch))) } : {}),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * The serving program: SageMaker's /ping and /invocations, Azure ML's /live,
 * /ready and /score, MLflow's /health, /version and scoring protocol
 * (invocations.ts), routed by router.ts, started and stopped by lifecycle.ts.
 * The socket listens before the model loads (SageMaker wants connections
 * accepted within 250 ms); health routes say 503 until it has.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((m: string) => console.log(m));
  const limits = options.limits ?? DEFAULT_LIMITS;
  // Node checks the request and headers timeouts every connectionsCheckingInterval (30 s by default): check each second.
  const server = createServer({
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: 1_000,
  });
  // Past the cap Node closes new connections as they arrive; the write and request timeouts free the slots slow clients hold.
  server.maxConnections = limits.maxConnections;
  // Longer than the load balancers' 60 s idle timeout, so they close first.
  server.keepAliveTimeout = 65_000;
  answerParserErrors(server, limits);
  const capture = new LazyCaptureSink(options.openCapture, log);
  const life = new ServerLifecycle(server, capture, log);
  const ctx: Context = {
    life,
    capture,
    budget: new ByteBudget(limits.maxBufferedBytes, limits.maxConnectionBytes),
    scheduler: new SliceScheduler(),
    limits,
    options,
    log,
  };
  const route = createRouter(routes(ctx));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    life.track(res);
    const routed = route(req.method, req.url);
    if ('reply' in routed) {
      req.resume();
      writeReply(ctx, res, routed.reply);
      return;
    }
    const hold = ctx.budget.hold(req.socket);
    res.once('close', () => hold.release());
    const answer = routed.handler(req, res, hold);
    if (answer instanceof Promise) void answer.then((reply) => reply && writeReply(ctx, res, reply, hold));
    else if (answer) writeReply(ctx, res, answer, hold);
  });
  const port = await listen(server, options.port, options.host);
  return { port, server, ready: life.start(options.loadModel), stop: (deadlineMs) => life.stop(deadlineMs) };
}
