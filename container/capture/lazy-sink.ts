import type { LoadedArtifact } from '../../model/artifact.ts';
import type { CaptureSink, CaptureStats } from './sink.ts';

/** How long after a failed open the next request may try again. */
const REOPEN_PAUSE_MS = 5_000;

/**
 * The server's capture sink, opened on the first request that asks for
 * capture (so a server that never captures creates no database). An open that
 * fails is logged and retried after a pause, never failing a prediction.
 */
export class LazyCaptureSink {
  private sink: CaptureSink | undefined;
  private openError: { message: string; at: number } | undefined;

  constructor(
    private readonly open: ((model: LoadedArtifact) => CaptureSink) | undefined,
    private readonly log: (message: string) => void,
  ) {}

  /** False when the server was started without capture. */
  get available(): boolean {
    return Boolean(this.open);
  }

  /** The sink, opening it if needed; undefined without capture, or while an open that failed is pausing. */
  for(model: LoadedArtifact): CaptureSink | undefined {
    if (this.sink || !this.open) return this.sink;
    if (this.openError && Date.now() - this.openError.at < REOPEN_PAUSE_MS) return undefined;
    try {
      this.sink = this.open(model);
      this.openError = undefined;
    } catch (err) {
      this.openError = { message: (err as Error).message, at: Date.now() };
      this.log(`capture: cannot open the sink: ${this.openError.message}`);
    }
    return this.sink;
  }

  /** For /health: the open sink's counts, or why it could not be opened (which degrades capture too). */
  stats(): Partial<CaptureStats> & { openError?: string } {
    if (this.sink) return this.sink.stats();
    return this.openError ? { openError: this.openError.message, degraded: `the capture sink cannot be opened: ${this.openError.message}` } : {};
  }

  /** Writes what is pending (see CaptureSink.close); nothing to do if the sink was never opened. */
  async close(deadlineMs: number): Promise<void> {
    await this.sink?.close(deadlineMs);
  }
}
