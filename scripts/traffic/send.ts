import type { FeatureRow } from '../../model/dataset.ts';
import type { Target } from '../targets/target.ts';

export interface SendOptions {
  /** Rows per request. */
  batch: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Called after each request settles. */
  onProgress?: (progress: TrafficProgress) => void;
  /** Ctrl-C: stop at once, summarizing the requests answered so far (those in flight are left unanswered). */
  signal?: AbortSignal;
}

export interface TrafficProgress {
  rowsDone: number;
  rowsTotal: number;
  requestsFailed: number;
}

export interface TrafficSummary {
  target: string;
  destination: string;
  requests: { sent: number; succeeded: number; failed: number };
  rows: { sent: number; predicted: number; failed: number };
  /** Predicted rows per class, most frequent first. */
  predictions: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  durationMs: number;
  /** Distinct failure messages with how often each happened. */
  errors: { message: string; count: number }[];
  /** Set when sending stopped early because the endpoint could not be reached at all. */
  aborted?: string;
  /** Set when the run was interrupted (SIGINT): rows not sent, requests left in flight. */
  interrupted?: { rowsTotal: number; inFlight: number };
}

/** The body the course's traffic sends: MLflow records plus capture on. */
export function requestBody(rows: FeatureRow[]): object {
  return { dataframe_records: rows, params: { data_capture: true } };
}

/** numpy's default (linear) percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function describeFailure(status: number, body: unknown): string {
  const message = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : typeof body === 'string' ? body : JSON.stringify(body);
  return `HTTP ${status}: ${message.length > 200 ? `${message.slice(0, 200)}…` : message}`;
}

function predictionsOf(body: unknown, expected: number): string[] | undefined {
  const list = (body as { predictions?: unknown } | null)?.predictions;
  if (!Array.isArray(list) || list.length !== expected) return undefined;
  return list.map((p) => (typeof p === 'object' && p !== null && 'prediction' in p ? String((p as { prediction: unknown }).prediction) : String(p)));
}

/**
 * Sends the rows in batches with at most `concurrency` requests in flight.
 * A request that fails is counted with its reason and sending goes on; only
 * an endpoint that cannot be reached before any request succeeded stops the run.
 */
export async function sendTraffic(target: Target, rows: FeatureRow[], options: SendOptions): Promise<TrafficSummary> {
  const batches: FeatureRow[][] = [];
  for (let i = 0; i < rows.length; i += options.batch) batches.push(rows.slice(i, i + options.batch));
  const latencies: number[] = [];
  const predictions = new Map<string, number>();
  const errors = new Map<string, number>();
  const counts = { sent: 0, succeeded: 0, failed: 0, rowsDone: 0, rowsPredicted: 0, rowsFailed: 0 };
  let aborted: string | undefined;
  let next = 0;
  const started = performance.now();

  const fail = (message: string, size: number) => {
    counts.failed++;
    counts.rowsFailed += size;
    errors.set(message, (errors.get(message) ?? 0) + 1);
  };

  const signal = options.signal;
  let inFlight = 0;
  const worker = async () => {
    while (next < batches.length && !aborted && !signal?.aborted) {
      const batch = batches[next++];
      counts.sent++;
      inFlight++;
      try {
        const result = await target.invoke(requestBody(batch));
        if (signal?.aborted) return;
        latencies.push(result.latencyMs);
        const predicted = result.status >= 200 && result.status < 300 ? predictionsOf(result.body, batch.length) : undefined;
        if (predicted) {
          counts.succeeded++;
          counts.rowsPredicted += batch.length;
          for (const p of predicted) predictions.set(p, (predictions.get(p) ?? 0) + 1);
        } else if (result.status >= 200 && result.status < 300) {
          fail(`HTTP ${result.status} without one prediction per row`, batch.length);
        } else {
          fail(describeFailure(result.status, result.body), batch.length);
        }
      } catch (err) {
        if (signal?.aborted) return;
        const code = (err as NodeJS.ErrnoException).code;
        fail(`${code ? `${code}: ` : ''}${(err as Error).message}`, batch.length);
        if (code && UNREACHABLE.has(code) && counts.succeeded === 0) aborted = `cannot reach ${target.destination} (${code})`;
      }
      inFlight--;
      counts.rowsDone += batch.length;
      options.onProgress?.({ rowsDone: counts.rowsDone, rowsTotal: rows.length, requestsFailed: counts.failed });
    }
  };
  const workers = Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, batches.length)) }, worker));
  if (!signal) await workers;
  else if (!signal.aborted) await Promise.race([workers, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
  const interrupted = signal?.aborted ? { rowsTotal: rows.length, inFlight } : undefined;

  const sorted = Float64Array.from(latencies).sort();
  return {
    target: target.name,
    destination: target.destination,
    requests: { sent: counts.sent, succeeded: counts.succeeded, failed: counts.failed },
    rows: { sent: counts.rowsDone, predicted: counts.rowsPredicted, failed: counts.rowsFailed },
    predictions: Object.fromEntries([...predictions].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1] : Number.NaN },
    durationMs: performance.now() - started,
    errors: [...errors].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
    ...(aborted ? { aborted } : {}),
    ...(interrupted ? { interrupted } : {}),
  };
}
