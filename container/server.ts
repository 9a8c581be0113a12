import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RUNTIME_VERSION, type LoadedArtifact } from '../model/artifact.ts';
import type { CaptureSink } from './capture/sink.ts';
import { MAX_BODY_BYTES, ROUTES } from './contract.ts';
import { parseContentType, parseCsvRequest, parseJsonRequest, ScoringError } from './protocol.ts';

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
  maxBodyBytes?: number;
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

const ROUTE_METHODS: Record<string, string> = {
  [ROUTES.ping]: 'GET',
  [ROUTES.health]: 'GET',
  [ROUTES.live]: 'GET',
  [ROUTES.ready]: 'GET',
  [ROUTES.version]: 'GET',
  [ROUTES.invocations]: 'POST',
  [ROUTES.score]: 'POST',
};

function send(res: ServerResponse, status: number, body: string, contentType = 'application/json', extra?: Record<string, string>): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, errorCode: string, message: string, extra?: Record<string, string>): void {
  send(res, status, JSON.stringify({ error_code: errorCode, message }), 'application/json', extra);
}

/**
 * How much of an over-limit body is read and dropped before answering 413.
 * Most clients send the whole body before reading the answer; answering
 * and closing while they still send resets the connection, and they see
 * EPIPE or ECONNRESET instead of the 413. Past this, answer at once and close.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;

/** Reads the body up to the limit; past it, drops the rest (see DRAIN_BYTES) and rejects with 413, buffering nothing more. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge =
      declared > limit ? new ScoringError(413, 'REQUEST_ENTITY_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limit} bytes: send fewer rows per request`) : undefined;
    if (tooLarge && declared > limit + DRAIN_BYTES) {
      reject(tooLarge);
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (!tooLarge && size > limit) {
        tooLarge = new ScoringError(413, 'REQUEST_ENTITY_TOO_LARGE', `the body exceeds the limit of ${limit} bytes: send fewer rows per request`);
        chunks = [];
      }
      if (!tooLarge) chunks.push(chunk);
      else if (size > limit + DRAIN_BYTES) reject(tooLarge);
    });
    req.on('end', () => (tooLarge ? reject(tooLarge) : resolve(Buffer.concat(chunks, size).toString('utf8'))));
    req.on('error', reject);
  });
}

/**
 * The serving program: SageMaker's /ping and /invocations, Azure ML's /live,
 * /ready and /score, MLflow's /health, /version and scoring protocol. The
 * socket listens before the model loads (SageMaker wants connections accepted
 * within 250 ms); health routes say 503 until it has.
 */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((m: string) => console.log(m));
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  let model: LoadedArtifact | undefined;
  let loadError: string | undefined;
  let capture: CaptureSink | undefined;
  let captureOpenError: { message: string; at: number } | undefined;
  /** Responses not yet closed; once stopping, each is sent with `Connection: close` so keep-alive clients let go. */
  const inFlight = new Set<ServerResponse>();
  let stopRequested = false;

  /** The sink, opened on first use; an open that fails is logged and retried after a pause, never failing a prediction. */
  function captureSink(loaded: LoadedArtifact): CaptureSink | undefined {
    if (capture || !options.openCapture) return capture;
    if (captureOpenError && Date.now() - captureOpenError.at < 5_000) return undefined;
    try {
      capture = options.openCapture(loaded);
      captureOpenError = undefined;
    } catch (err) {
      captureOpenError = { message: (err as Error).message, at: Date.now() };
      log(`capture: cannot open the sink: ${captureOpenError.message}`);
    }
    return capture;
  }

  /**
   * Parses, scores and queues capture; throws ScoringError for bad input. `waiting` is set when the capture
   * sink is behind: answer after it settles (it never rejects). Synchronous, so nothing of the request outlives it.
   */
  function answer(loaded: LoadedArtifact, text: string, mediaType: string, inferenceId: string | string[] | undefined): { body: string; waiting?: Promise<void> } {
    const request = mediaType === 'text/csv' ? parseCsvRequest(text, loaded.params.schema) : parseJsonRequest(text, loaded.params.schema);
    const predictions = loaded.predictor.predictValid(request.rows);
    // Finite but extreme inputs (1e308) can overflow the model's arithmetic; answer 400 rather than a null confidence.
    let overflowed: number[] | undefined;
    for (let i = 0; i < predictions.length; i++) if (!Number.isFinite(predictions[i].confidence)) (overflowed ??= []).push(i);
    if (overflowed) {
      throw new ScoringError(400, 'BAD_REQUEST', `invalid input: ${overflowed.slice(0, 10).map((i) => `row ${i}`).join(', ')}: the values are too far out of range to score`);
    }
    const body = JSON.stringify({ predictions });
    const wantCapture = typeof request.params.data_capture === 'boolean' ? request.params.data_capture : options.captureByDefault;
    const sink = wantCapture && request.rows.length > 0 ? captureSink(loaded) : undefined;
    const waiting = sink?.enqueue({
      eventId: randomUUID(),
      ...(typeof inferenceId === 'string' ? { inferenceId } : {}),
      time: new Date(),
      rows: request.rows,
      predictions,
      requestBody: text,
      requestContentType: mediaType,
      responseBody: body,
    });
    return waiting ? { body, waiting } : { body };
  }

  async function score(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const customAttributes = req.headers[CUSTOM_ATTRIBUTES];
    const echo: Record<string, string> = typeof customAttributes === 'string' ? { 'X-Amzn-SageMaker-Custom-Attributes': customAttributes } : {};
    try {
      const mediaType = parseContentType(req.headers['content-type']);
      const text = await readBody(req, limit);
      if (!model) {
        sendError(res, 503, 'TEMPORARILY_UNAVAILABLE', loadError ? `the model failed to load: ${loadError}` : 'the model is still loading; retry shortly', echo);
        return;
      }
      const { body, waiting } = answer(model, text, mediaType, req.headers[INFERENCE_ID]);
      // The capture sink is behind (the record is queued): answer once it catches up.
      if (waiting) await waiting;
      send(res, 200, body, 'application/json', echo);
    } catch (err) {
      if (req.destroyed && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        // The client went away before sending the whole body: there is no one to answer, and nothing failed here.
      } else if (err instanceof ScoringError) {
        // A 413 sent before the whole body arrived (far over the limit): close rather than keep reading it.
        sendError(res, err.status, err.errorCode, err.message, err.status === 413 && !req.complete ? { ...echo, Connection: 'close' } : echo);
      } else {
        log(`error: ${(err as Error).stack ?? String(err)}`);
        sendError(res, 500, 'INTERNAL_ERROR', 'the server failed to score the request; see the server log', echo);
      }
    }
  }

  function health(): object {
    return {
      status: model ? 'ok' : loadError ? 'failed' : 'loading',
      ...(loadError ? { error: loadError } : {}),
      ...(model ? { model: { dir: model.dir, uuid: model.mlmodel.model_uuid, created: model.mlmodel.utc_time_created } } : {}),
      capture: {
        available: Boolean(options.openCapture),
        byDefault: options.captureByDefault,
        ...(capture ? capture.stats() : {}),
        ...(captureOpenError ? { openError: captureOpenError.message } : {}),
      },
    };
  }

  const server = createServer((req, res) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    // Stopping: answer what still arrives on open connections, then close them, so the process can exit.
    if (stopRequested) res.setHeader('Connection', 'close');
    const path = (req.url ?? '/').split('?', 1)[0];
    const method = ROUTE_METHODS[path];
    if (!method) {
      req.resume();
      sendError(res, 404, 'ENDPOINT_NOT_FOUND', `no route ${path}; the routes are ${Object.values(ROUTES).join(', ')}`);
      return;
    }
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      req.resume();
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `${path} takes ${method}, not ${req.method}`, { Allow: method });
      return;
    }
    switch (path) {
      case ROUTES.ping:
        send(res, model ? 200 : 503, model ? '\n' : '', 'text/plain');
        return;
      case ROUTES.ready:
        send(res, model ? 200 : 503, JSON.stringify({ ready: Boolean(model) }));
        return;
      case ROUTES.live:
        send(res, 200, JSON.stringify({ live: true }));
        return;
      case ROUTES.health:
        send(res, model ? 200 : 503, JSON.stringify(health()));
        return;
      case ROUTES.version:
        send(res, 200, JSON.stringify({ version: RUNTIME_VERSION }));
        return;
      default:
        void score(req, res);
    }
  });
  // SageMaker gives /invocations 60 s; a client that sends nothing for longer is cut off instead of holding a socket.
  server.requestTimeout = 65_000;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const ready = options.loadModel().then(
        (loaded) => {
          model = loaded;
        },
        (err: unknown) => {
          loadError = (err as Error).message;
          throw err;
        },
      );
      ready.catch(() => {});
      let stopping: Promise<void> | undefined;
      resolve({
        port,
        server,
        ready,
        stop(deadlineMs = 25_000) {
          stopping ??= (async () => {
            const started = Date.now();
            stopRequested = true;
            // Busy keep-alive connections would otherwise stay open after their response (until keepAliveTimeout) and take more requests.
            for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
            await new Promise<void>((done) => {
              server.close(() => done());
              server.closeIdleConnections();
              // Connections still busy close once their response is sent (close() marks them so); force the rest at the deadline.
              setTimeout(() => {
                if (inFlight.size > 0) log(`stop: ${inFlight.size} requests still running at the deadline; closing their connections`);
                server.closeAllConnections();
              }, Math.max(0, deadlineMs - 5_000)).unref();
            });
            await capture?.close(Math.max(1_000, deadlineMs - (Date.now() - started)));
          })();
          return stopping;
        },
      });
    });
  });
}
