import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { LoadedArtifact } from '../model/artifact.ts';
import type { LazyCaptureSink } from './capture/lazy-sink.ts';

/** Of a stop's deadline, what is left for the capture flush once connections have been forced closed. */
const CLOSE_MARGIN_MS = 5_000;

/** Stopping: how long a request may take to finish arriving, or an answer to reach its client, before the connection is closed. */
export const STOP_GRACE_MS = 1_000;

/**
 * One server's life: the model loading after the socket listens, the
 * responses in flight, and the stop that drains them and flushes capture.
 * The request handlers read the model from here.
 */
export class ServerLifecycle {
  private loaded: LoadedArtifact | undefined;
  private failure: string | undefined;
  /** Responses not yet closed; once stopping, each is sent with `Connection: close` so keep-alive clients let go. */
  private readonly inFlight = new Set<ServerResponse>();
  /** Responses whose request has been read and whose answer is being made: the only ones a stop waits for. */
  private readonly answering = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private stopRequested = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly server: Server, private readonly capture: LazyCaptureSink, private readonly log: (message: string) => void) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** True once a stop has begun. */
  get stopStarted(): boolean {
    return this.stopRequested;
  }

  /** The model, once loaded. */
  get model(): LoadedArtifact | undefined {
    return this.loaded;
  }

  /** Why the model could not be loaded. */
  get loadError(): string | undefined {
    return this.failure;
  }

  /** Loads the model; the promise rejects with why it could not be (and no rejection goes unhandled if nobody waits). */
  start(loadModel: () => Promise<LoadedArtifact>): Promise<void> {
    const ready = loadModel().then(
      (loaded) => {
        this.loaded = loaded;
      },
      (err: unknown) => {
        this.failure = (err as Error).message;
        throw err;
      },
    );
    ready.catch(() => {});
    return ready;
  }

  /** Follows a response until it closes. Stopping: answer what still arrives on open connections, then close them, so the process can exit. */
  track(res: ServerResponse): void {
    this.inFlight.add(res);
    res.on('close', () => {
      this.inFlight.delete(res);
      this.answering.delete(res);
    });
    if (this.stopRequested) res.setHeader('Connection', 'close');
  }

  /** The response's request has been read: a stop lets its answer be made and sent. */
  markAnswering(res: ServerResponse, busy: boolean): void {
    if (busy && !res.destroyed) this.answering.add(res);
    else this.answering.delete(res);
  }

  /** Stops accepting, lets in-flight requests finish (closing their connections at the deadline), flushes capture. Idempotent. */
  stop(deadlineMs = 25_000): Promise<void> {
    this.stopping ??= (async () => {
      const started = Date.now();
      await this.drain(deadlineMs);
      await this.capture.close(Math.max(1_000, deadlineMs - (Date.now() - started)));
    })();
    return this.stopping;
  }

  /**
   * Closes every connection with no answer being made: idle ones at once
   * (closeIdleConnections), and after STOP_GRACE_MS the ones still sending a
   * request (slow or stalled uploads, half-sent headers) or not reading their
   * answer. Capture is queued before an answer is written, so no answered
   * request's records depend on these connections.
   */
  private closeSlowConnections(): void {
    setTimeout(() => {
      const busy = new Set<Socket>();
      for (const res of this.answering) if (res.socket) busy.add(res.socket);
      for (const socket of this.sockets) if (!busy.has(socket)) socket.destroy();
    }, STOP_GRACE_MS).unref();
  }

  private drain(deadlineMs: number): Promise<void> {
    this.stopRequested = true;
    // Busy keep-alive connections would otherwise stay open after their response (until keepAliveTimeout) and take more requests.
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    return new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeIdleConnections();
      this.closeSlowConnections();
      // Connections still busy close once their response is sent (close() marks them so); force the rest at the deadline.
      setTimeout(() => {
        if (this.inFlight.size > 0) this.log(`stop: ${this.inFlight.size} requests still running at the deadline; closing their connections`);
        this.server.closeAllConnections();
      }, Math.max(0, deadlineMs - CLOSE_MARGIN_MS)).unref();
    });
  }
}

/**
 * Asks the serving process to stop: on SIGTERM (the platforms' stop) and on
 * SIGINT (Ctrl-C), each heard once, so a second one ends the process at once
 * as usual. Under `npx rookery serve &`, `kill %1` stops npx but not this
 * process (npx does not pass the signal on): when npm (npm_command is set in
 * what it starts) goes away, stop as on SIGTERM rather than keep the port.
 * Only then: a server started by a shell, nohup, systemd or a container
 * runtime outlives its parent as usual.
 */
export function stopOnSignals(stop: (reason: string) => void): void {
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  if (process.env.npm_command) {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(watch);
        stop('parent process exited');
      }
    }, 500);
    watch.unref();
  }
}
