/**
 * Exponential backoff with jitter, with the clock and the randomness injected
 * so tests run without waiting. Like MLflow's own client
 * (mlflow/utils/rest_utils.py, http_request) it retries 429, 502, 503, 504
 * and connection failures and honours Retry-After; unlike it, not 500, which
 * MLflow also answers for failures that repeat (a missing artifact file).
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Delay before the first retry, doubled for each further one. */
  baseDelayMs: number;
  /** Upper bound on any single delay, Retry-After included. */
  maxDelayMs: number;
  /** Fraction of each delay that is randomized: 0 is none, 1 is "full jitter". */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000, jitter: 0.5 };

export interface Clock {
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: Clock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** Statuses worth another try: rate limiting and a busy or restarting server behind a proxy. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Delay before retry number `retry` (0 for the first retry):
 * `base * 2^retry`, capped, with the `jitter` fraction of it drawn at random;
 * never shorter than a server's Retry-After (also capped).
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const delay = exponential * (1 - policy.jitter) + exponential * policy.jitter * random();
  if (retryAfterMs === undefined) return Math.round(delay);
  return Math.round(Math.max(delay, Math.min(retryAfterMs, policy.maxDelayMs)));
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export type AttemptOutcome<T> = { done: true; value: T } | { done: false; reason: string; retryAfterMs?: number; giveUp: () => Error };

export interface RetryEvent {
  retry: number;
  delayMs: number;
  reason: string;
}

/**
 * Runs `attempt` until it reports done or the retries are spent; then the last
 * outcome's `giveUp()` error is thrown.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<AttemptOutcome<T>>,
  policy: RetryPolicy,
  clock: Clock,
  onRetry?: (event: RetryEvent) => void,
): Promise<T> {
  for (let n = 0; ; n++) {
    const outcome = await attempt(n);
    if (outcome.done) return outcome.value;
    if (n >= policy.maxRetries) throw outcome.giveUp();
    const delayMs = backoffDelay(n, policy, clock.random, outcome.retryAfterMs);
    onRetry?.({ retry: n + 1, delayMs, reason: outcome.reason });
    await clock.sleep(delayMs);
  }
}
