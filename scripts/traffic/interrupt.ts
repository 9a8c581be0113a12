/**
 * Ctrl-C while traffic is being sent: the first SIGINT aborts the returned
 * signal (the run stops, prints what it sent and exits 130); a second one
 * exits 130 at once. `dispose` removes the handler.
 */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** Runs `work` with a signal the first Ctrl-C aborts, and removes the handler when it ends. */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = interruptSignal();
  try {
    return await work(interrupt.signal);
  } finally {
    interrupt.dispose();
  }
}

/** The exit status of a process stopped by SIGINT, as shells report it. */
export const INTERRUPTED_EXIT = 130;

/** Resolves after `ms`, or at once when the signal fires (or fired before the wait began): a poll loop's pause that Ctrl-C cuts short. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
