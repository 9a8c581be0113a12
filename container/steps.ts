/**
 * Work cut into slices: a generator that yields between slices and returns
 * its result. One body of logic, two ways to run it: to the end at once
 * (runToEnd, for pure callers such as invocations()) or giving the event loop
 * a turn between slices (runSliced, for the server), so a large request never
 * holds /ping for more than a slice.
 */
export type Steps<T> = Generator<void, T, void>;

/**
 * How long the server lets work run before it gives other requests a turn.
 * A /ping waits for the slices (and the pieces that cannot be cut, such as
 * JSON.parse) that run before its turn comes: with 4 clients sending 6 MB
 * bodies, 8 ms slices gave /ping a p99 of 56-90 ms, 2 ms slices 32-41 ms, at
 * the same throughput of large requests (the turns cost microseconds).
 */
export const SLICE_MS = 2;

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs steps for many requests, giving the event loop a turn (setImmediate:
 * after pending I/O) once a slice has run for `sliceMs`. Small work finishes
 * in its first slice without ever waiting. Work that needs more than one slice
 * takes one of `maxActive` places first (first come, first served), so only
 * that many large requests are half-done, holding their parsed rows, at once.
 * Work known to be large before it starts (`large`: a long body, whose
 * parsing alone outlasts a slice) takes its place before its first step:
 * otherwise each waiting request would hold its parsed body and rows, not
 * only its text (8 clients of 150,000 rows kept 5 parsed bodies, 235 MB).
 */
export class SliceScheduler {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly maxActive = 1, readonly sliceMs = SLICE_MS) {}

  async run<T>(steps: Steps<T>, large = false): Promise<T> {
    let placed = false;
    try {
      if (large) {
        await this.place();
        placed = true;
      }
      let since = performance.now();
      for (;;) {
        const step = steps.next();
        if (step.done) return step.value;
        if (performance.now() - since < this.sliceMs) continue;
        if (placed) await turn();
        else {
          await this.place();
          placed = true;
        }
        since = performance.now();
      }
    } finally {
      if (placed) this.leave();
    }
  }

  private place(): Promise<void> {
    if (this.active < this.maxActive) {
      this.active++;
      return turn();
    }
    return new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private leave(): void {
    const next = this.queue.shift();
    // The place passes straight to the next in line, which resumes on a later turn of the loop.
    if (next) setImmediate(next);
    else this.active--;
  }
}
